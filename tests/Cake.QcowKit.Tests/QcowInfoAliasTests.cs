using Cake.Core.IO;
using QcowKit;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

[TestFixture]
public sealed class QcowInfoAliasTests
{
    [Test]
    public void Returns_the_sizes_and_version_qemu_reports()
    {
        using var temp = new TempDirectory("cake-info");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "96M", "cluster_size=131072,lazy_refcounts=on");
        using var cake = new CakeTestContext(temp.Path);

        var info = cake.Context.QcowInfo(new FilePath(image));

        var qemu = Qemu.Info(image);
        Assert.That(info.VirtualSize, Is.EqualTo((long)qemu["virtual-size"]!));
        Assert.That(info.ClusterSize, Is.EqualTo((int)qemu["cluster-size"]!));
        Assert.That(QemuNames.Name(info.Compat), Is.EqualTo((string)qemu["format-specific"]!["data"]!["compat"]!));
        Assert.That(info.LazyRefcounts, Is.True);
    }

    [Test]
    public void Resolves_a_relative_path_against_the_cake_working_directory()
    {
        using var temp = new TempDirectory("cake-info");
        Directory.CreateDirectory(temp.File("out"));
        Qemu.CreateQcow2(temp.File("out/disk.qcow2"), "8M");
        using var cake = new CakeTestContext(temp.Path);

        var info = cake.Context.QcowInfo(new FilePath("out/disk.qcow2"));

        Assert.That(info.VirtualSize, Is.EqualTo(8L << 20));
    }

    [Test]
    public void Logs_the_summary_through_the_cake_log()
    {
        using var temp = new TempDirectory("cake-info");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "8M");
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowInfo(new FilePath(image));

        Assert.That(cake.Console.Text, Does.Contain($"QcowInfo {image}: virtual size 8388608, cluster size 65536"));
    }

    [Test]
    public void Untrusted_reads_an_image_whose_backing_file_is_missing_without_opening_it()
    {
        using var temp = new TempDirectory("cake-info");
        var backing = temp.File("base.qcow2");
        var overlay = temp.File("overlay.qcow2");
        Qemu.CreateQcow2(backing, "16M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay);
        File.Delete(backing);
        using var cake = new CakeTestContext(temp.Path);

        var info = cake.Context.QcowInfo(new FilePath(overlay), new QcowInfoSettings().WithUntrusted());

        Assert.That(info.BackingFileName, Is.EqualTo(backing));
        Assert.That(() => cake.Context.QcowInfo(new FilePath(overlay)), Throws.InstanceOf<IOException>());
    }

    [Test]
    public void Throws_a_format_exception_naming_the_magic_for_a_file_that_is_not_qcow2()
    {
        using var temp = new TempDirectory("cake-info");
        var image = temp.File("disk.raw");
        Qemu.ImgOk("create", "-q", "-f", "raw", image, "1M");
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowInfo(new FilePath(image)),
            Throws.InstanceOf<QcowFormatException>().With.Property(nameof(QcowFormatException.Field)).EqualTo("magic"));
    }
}
