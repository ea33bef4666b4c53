using QcowKit;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

/// <summary>The dd alias copies a range of blocks into a new image with qemu-img dd's sizes.</summary>
[TestFixture]
public sealed class QcowDdAliasTests
{
    [Test]
    public void QcowDd_copies_from_skip_into_a_new_qcow2_image()
    {
        using var temp = new TempDirectory("cake-dd");
        Qemu.CreateQcow2(temp.File("in.qcow2"), "1M");
        Qemu.Io(temp.File("in.qcow2"), "write -P 7 0 1M");
        using var cake = new CakeTestContext(temp.Path);

        var result = cake.Context.QcowDd("in.qcow2", "out.qcow2", new QcowDdSettings { BlockSize = "64k", Skip = "4", OutputFormat = "qcow2" });

        Assert.That(result.OutputSize, Is.EqualTo(768 * 1024));
        Assert.That(result.Warning, Is.Null);
        Assert.That(Qemu.Info(temp.File("out.qcow2"))["virtual-size"]!.GetValue<long>(), Is.EqualTo(768 * 1024));
        Assert.That(Qemu.Check(temp.File("out.qcow2")).ExitCode, Is.Zero);
        using var copy = global::QcowKit.Image.QcowImage.Open(temp.File("out.qcow2"));
        var bytes = new byte[768 * 1024];
        copy.Read(0, bytes);
        Assert.That(bytes.All(b => b == 7), Is.True, "the last 768 KiB of the input");
    }

    [Test]
    public void QcowDd_refuses_a_zero_block_size_in_qemus_words()
    {
        using var temp = new TempDirectory("cake-dd");
        Qemu.CreateQcow2(temp.File("in.qcow2"), "1M");
        using var cake = new CakeTestContext(temp.Path);

        var refusal = Assert.Throws<QcowOptionsException>(() => cake.Context.QcowDd("in.qcow2", "out.raw", new QcowDdSettings { BlockSize = "0" }));
        Assert.That(refusal!.Message, Is.EqualTo("Invalid bs specified. Must be between 1 and 2147483647."));
    }
}
