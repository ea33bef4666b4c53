using System.Text.RegularExpressions;
using Cake.Core.IO;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

[TestFixture]
public sealed partial class QcowCompareAliasTests
{
    [Test]
    public void Finds_a_copy_identical()
    {
        using var temp = new TempDirectory("cake-compare");
        var first = temp.File("a.qcow2");
        Qemu.CreateQcow2(first, "16M");
        Qemu.Io(first, "write -P 0x41 1M 256k");
        Qemu.ImgOk("convert", "-O", "raw", first, temp.File("b.raw"));
        using var cake = new CakeTestContext(temp.Path);

        var result = cake.Context.QcowCompare(new FilePath("a.qcow2"), new FilePath("b.raw"));

        Assert.That(result.Identical, Is.True);
        Assert.That(result.FirstDifferenceOffset, Is.Null);
        Assert.That(result.Message, Is.EqualTo("Images are identical."));
    }

    [Test]
    public void Reports_the_offset_qemu_img_compare_prints_for_one_differing_sector()
    {
        using var temp = new TempDirectory("cake-compare");
        var first = temp.File("a.qcow2");
        var second = temp.File("b.qcow2");
        Qemu.CreateQcow2(first, "16M");
        Qemu.Io(first, "write -P 0x41 1M 256k");
        File.Copy(first, second);
        Qemu.Io(second, "write -P 0x42 1180160 512");
        var qemu = Qemu.Img("compare", first, second);
        var printed = long.Parse(Offset().Match(qemu.StandardOutput).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        using var cake = new CakeTestContext(temp.Path);

        var result = cake.Context.QcowCompare(new FilePath(first), new FilePath(second));

        Assert.That(result.Identical, Is.False);
        Assert.That(result.FirstDifferenceOffset, Is.EqualTo(printed));
        Assert.That(result.Message, Is.EqualTo(qemu.StandardOutput.Trim()));
    }

    [Test]
    public void Strict_mode_reports_a_size_mismatch_like_qemu()
    {
        using var temp = new TempDirectory("cake-compare");
        Qemu.CreateQcow2(temp.File("a.qcow2"), "16M");
        Qemu.CreateQcow2(temp.File("b.qcow2"), "32M");
        using var cake = new CakeTestContext(temp.Path);

        var result = cake.Context.QcowCompare(new FilePath("a.qcow2"), new FilePath("b.qcow2"), new QcowCompareSettings().WithStrict());

        Assert.That(result.Identical, Is.False);
        Assert.That(result.Message, Is.EqualTo("Strict mode: Image size mismatch!"));
    }

    [Test]
    public void Logs_the_verdict()
    {
        using var temp = new TempDirectory("cake-compare");
        Qemu.CreateQcow2(temp.File("a.qcow2"), "16M");
        Qemu.CreateQcow2(temp.File("b.qcow2"), "16M");
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowCompare(new FilePath("a.qcow2"), new FilePath("b.qcow2"));

        Assert.That(cake.Console.Text, Does.Contain($"QcowCompare {temp.File("a.qcow2")} {temp.File("b.qcow2")}: Images are identical."));
    }

    [GeneratedRegex(@"Content mismatch at offset (\d+)!")]
    private static partial Regex Offset();
}
