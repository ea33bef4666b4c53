using Cake.Core;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Format;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

[TestFixture]
public sealed class QcowCreateAliasTests
{
    [Test]
    public void Creates_an_image_qemu_checks_clean_with_the_requested_geometry()
    {
        using var temp = new TempDirectory("cake-create");
        var image = temp.File("disk.qcow2");
        using var cake = new CakeTestContext(temp.Path);

        var info = cake.Context.QcowCreate(new FilePath(image), new QcowCreateSettings()
            .WithSize("96M").WithClusterSize(32768).WithExtendedL2().WithCompression(CompressionType.Zstd));

        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        var qemu = Qemu.Info(image);
        Assert.That((long)qemu["virtual-size"]!, Is.EqualTo(96L << 20));
        Assert.That((int)qemu["cluster-size"]!, Is.EqualTo(32768));
        Assert.That((bool)qemu["format-specific"]!["data"]!["extended-l2"]!, Is.True);
        Assert.That((string)qemu["format-specific"]!["data"]!["compression-type"]!, Is.EqualTo("zstd"));
        Assert.That(info.VirtualSize, Is.EqualTo(96L << 20));
    }

    [Test]
    public void Applies_a_qemu_option_list_over_the_properties()
    {
        using var temp = new TempDirectory("cake-create");
        var image = temp.File("disk.qcow2");
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowCreate(new FilePath(image), new QcowCreateSettings()
            .WithSize(16L << 20).WithRefcountBits(16).WithOptions("refcount_bits=8,lazy_refcounts=on"));

        var data = Qemu.Info(image)["format-specific"]!["data"]!;
        Assert.That((int)data["refcount-bits"]!, Is.EqualTo(8));
        Assert.That((bool)data["lazy-refcounts"]!, Is.True);
    }

    [Test]
    public void Creates_an_overlay_whose_size_comes_from_the_backing_file()
    {
        using var temp = new TempDirectory("cake-create");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "24M");
        Qemu.Io(temp.File("base.qcow2"), "write -P 0x61 0 64k");
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowCreate(new FilePath("overlay.qcow2"), new QcowCreateSettings().WithBackingFile("base.qcow2"));

        var overlay = temp.File("overlay.qcow2");
        Assert.That((string)Qemu.Info(overlay)["backing-filename"]!, Is.EqualTo("base.qcow2"));
        Assert.That(Qemu.RawSha256(overlay), Is.EqualTo(Qemu.RawSha256(temp.File("base.qcow2"))));
    }

    [Test]
    public void Refuses_what_qemu_img_refuses_with_a_cake_exception()
    {
        using var temp = new TempDirectory("cake-create");
        using var cake = new CakeTestContext(temp.Path);
        var qemu = Qemu.Img("create", "-f", "qcow2", "-o", "cluster_size=3000", temp.File("q.qcow2"), "16M");
        Assert.That(qemu.ExitCode, Is.Not.Zero);

        Assert.That(() => cake.Context.QcowCreate(new FilePath("c.qcow2"), new QcowCreateSettings().WithSize(16L << 20).WithClusterSize(3000)),
            Throws.TypeOf<CakeException>().With.InnerException.TypeOf<QcowOptionsException>());
    }

    [Test]
    public void Logs_what_it_created()
    {
        using var temp = new TempDirectory("cake-create");
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowCreate(new FilePath("disk.qcow2"), new QcowCreateSettings().WithSize("1G"));

        Assert.That(cake.Console.Text, Does.Contain($"QcowCreate {temp.File("disk.qcow2")}: 1073741824 bytes, 65536 byte clusters, compat 1.1"));
    }
}
