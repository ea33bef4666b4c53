using Cake.Core;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Format;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

[TestFixture]
public sealed class QcowConvertAliasTests
{
    private static string QemuImage(TempDirectory temp)
    {
        var source = temp.File("source.qcow2");
        Qemu.CreateQcow2(source, "32M");
        Qemu.Io(source, "write -P 0x5a 0 1M", "write -P 0x33 5M 192k", "write -z 8M 64k", "write -P 0x71 31M 4k");
        return source;
    }

    [Test]
    public void Converts_a_qemu_image_to_one_qemu_checks_clean_and_finds_identical()
    {
        using var temp = new TempDirectory("cake-convert");
        var source = QemuImage(temp);
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowConvert(new FilePath("source.qcow2"), new FilePath("out.qcow2"), new QcowConvertSettings());

        var output = temp.File("out.qcow2");
        Assert.That(Qemu.Check(output).ExitCode, Is.Zero);
        Assert.That(Qemu.Compare(source, output), Is.Zero);
    }

    [Test]
    public void Converts_compressed_with_the_requested_compression_type()
    {
        using var temp = new TempDirectory("cake-convert");
        var source = QemuImage(temp);
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowConvert(new FilePath(source), new FilePath("out.qcow2"),
            new QcowConvertSettings().WithCompression(CompressionType.Zstd).WithOptions("cluster_size=32k"));

        var output = temp.File("out.qcow2");
        var check = Qemu.Check(output);
        Assert.That(check.ExitCode, Is.Zero);
        Assert.That((long)check.Report!["compressed-clusters"]!, Is.GreaterThan(0));
        Assert.That(Qemu.Compare(source, output), Is.Zero);
        var info = Qemu.Info(output);
        Assert.That((string)info["format-specific"]!["data"]!["compression-type"]!, Is.EqualTo("zstd"));
        Assert.That((int)info["cluster-size"]!, Is.EqualTo(32768));
    }

    [Test]
    public void Converts_a_raw_source_against_a_backing_file_writing_only_what_differs()
    {
        using var temp = new TempDirectory("cake-convert");
        var base_ = temp.File("base.qcow2");
        Qemu.CreateQcow2(base_, "8M");
        Qemu.Io(base_, "write -P 0x11 0 8M");
        var raw = temp.File("new.raw");
        Qemu.ImgOk("convert", "-O", "raw", base_, raw);
        Qemu.IoFormat(raw, "raw", "write -P 0x22 2M 64k");
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowConvert(new FilePath("new.raw"), new FilePath("delta.qcow2"),
            new QcowConvertSettings().WithSourceFormat(QcowImageFormat.Raw).WithBackingFile("base.qcow2", "qcow2"));

        var delta = temp.File("delta.qcow2");
        Assert.That(Qemu.Check(delta).ExitCode, Is.Zero);
        Assert.That((string)Qemu.Info(delta)["backing-filename"]!, Is.EqualTo("base.qcow2"));
        Assert.That(Qemu.RawSha256(delta), Is.EqualTo(Qemu.RawSha256(raw, "raw")));
        var allocatedHere = Qemu.Map(delta).Where(entry => (int)entry!["depth"]! == 0 && (bool)entry["data"]!).Sum(entry => (long)entry!["length"]!);
        Assert.That(allocatedHere, Is.EqualTo(64 * 1024));
    }

    [Test]
    public void Converts_to_raw_with_the_guest_bytes_of_the_source()
    {
        using var temp = new TempDirectory("cake-convert");
        var source = QemuImage(temp);
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowConvert(new FilePath("source.qcow2"), new FilePath("out.img"), new QcowConvertSettings().WithOutputFormat("raw"));

        var output = temp.File("out.img");
        Assert.That(Hashing.Sha256OfFile(output), Is.EqualTo(Qemu.RawSha256(source)));
        Assert.That(new FileInfo(output).Length, Is.EqualTo(32L << 20));
    }

    [Test]
    public void Refuses_what_qemu_img_refuses_with_a_cake_exception()
    {
        using var temp = new TempDirectory("cake-convert");
        QemuImage(temp);
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowConvert(new FilePath("source.qcow2"), new FilePath("out.qcow2"), new QcowConvertSettings().WithOptions("cluster_size=3000")),
            Throws.TypeOf<CakeException>().With.InnerException.TypeOf<QcowOptionsException>());
    }

    [Test]
    public void Logs_progress_at_verbose_and_the_result_at_information()
    {
        using var temp = new TempDirectory("cake-convert");
        QemuImage(temp);
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowConvert(new FilePath("source.qcow2"), new FilePath("out.qcow2"), new QcowConvertSettings().WithCompression());

        var output = temp.File("out.qcow2");
        Assert.That(cake.Console.Text, Does.Contain($"QcowConvert {output}: 100% ({32L << 20} of {32L << 20} bytes)"));
        Assert.That(cake.Console.Text, Does.Contain($"QcowConvert {temp.File("source.qcow2")} -> {output} (compressed)"));
    }
}
