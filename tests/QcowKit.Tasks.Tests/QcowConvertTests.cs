using Microsoft.Build.Framework;
using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

public sealed class QcowConvertTests
{
    private static (bool Ok, FakeBuildEngine Engine, QcowConvert Task) Run(string source, string destination, Action<QcowConvert>? configure = null)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowConvert { BuildEngine = engine, Source = TestImages.Item(source), Destination = TestImages.Item(destination) };
        configure?.Invoke(task);
        var ok = task.Execute();
        return (ok, engine, task);
    }

    [Test]
    public void Converts_a_qemu_image_into_one_qemu_calls_clean_and_equal()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var destination = temp.File("out.qcow2");
        var (ok, engine, task) = Run(source, destination, t => t.Options = "cluster_size=4k");
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(Qemu.Check(destination).ExitCode, Is.Zero);
        Assert.That(Qemu.Compare(source, destination), Is.Zero);
        Assert.That((int)Qemu.Info(destination)["cluster-size"]!, Is.EqualTo(4096));
        Assert.That(task.Destination.ItemSpec, Is.EqualTo(destination), "Destination is the output a target adds to FileWrites");
    }

    [Test]
    public void Logs_progress_at_low_importance()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var (ok, engine, _) = Run(source, temp.File("out.qcow2"));
        Assert.That(ok, Is.True, engine.Describe);
        var progress = engine.Messages.Where(m => m.Message!.StartsWith("Converting ", StringComparison.Ordinal)).ToList();
        Assert.That(progress, Is.Not.Empty);
        Assert.That(progress.Select(m => m.Importance), Is.All.EqualTo(MessageImportance.Low));
        Assert.That(progress[^1].Message, Does.Contain("100"));
    }

    [TestCase("zlib")]
    [TestCase("zstd")]
    public void Compressed_output_keeps_the_guest_bytes(string compressionType)
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        Qemu.Io(source, "write -P 0x11 1M 192k", "write -P 0x00 2M 64k");
        var destination = temp.File("out.qcow2");
        var (ok, engine, _) = Run(source, destination, t => { t.Compress = true; t.Options = $"compression_type={compressionType}"; });
        Assert.That(ok, Is.True, engine.Describe);
        var (exitCode, report, _) = Qemu.Check(destination);
        Assert.That(exitCode, Is.Zero);
        Assert.That((long)report!["compressed-clusters"]!, Is.Positive, "clusters are stored compressed");
        Assert.That(Qemu.RawSha256(destination), Is.EqualTo(Qemu.RawSha256(source)));
        Assert.That((string)Qemu.Info(destination)["format-specific"]!["data"]!["compression-type"]!, Is.EqualTo(compressionType));
    }

    [Test]
    public void Raw_source_with_backing_file_writes_only_the_difference()
    {
        using var temp = new TempDirectory("convert");
        var backing = TestImages.Clean(temp, "base.qcow2");
        var changed = temp.File("changed.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", changed);
        Qemu.Io(changed, "write -P 0x77 2M 64k");
        var raw = temp.File("changed.img");
        Qemu.ImgOk("convert", "-O", "raw", changed, raw);
        var destination = temp.File("overlay.qcow2");
        var (ok, engine, _) = Run(raw, destination, t => { t.SourceFormat = "raw"; t.BackingFile = backing; t.BackingFormat = "qcow2"; });
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(Qemu.Check(destination).ExitCode, Is.Zero);
        Assert.That(Qemu.Compare(raw, destination), Is.Zero);
        Assert.That((string)Qemu.Info(destination)["backing-filename"]!, Is.EqualTo(backing));
        Assert.That(new FileInfo(destination).Length, Is.LessThan(1L << 20), "only the changed 64 KiB are stored");
    }

    [Test]
    public void Missing_source_fails_with_QCOW1001_naming_the_source()
    {
        using var temp = new TempDirectory("convert");
        var source = temp.File("absent.qcow2");
        var destination = temp.File("out.qcow2");
        var (ok, engine, _) = Run(source, destination);
        Assert.That(ok, Is.False);
        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1001"));
        Assert.That(error.File, Is.EqualTo(source));
        Assert.That(File.Exists(destination), Is.False);
    }

    [Test]
    public void Encrypted_source_fails_with_QCOW1004()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Encrypted(temp);
        var (ok, engine, _) = Run(source, temp.File("out.qcow2"));
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1004"), engine.Describe);
        Assert.That(engine.Errors.Single().File, Is.EqualTo(source));
    }

    [TestCase("frobnicate=on", "Invalid parameter 'frobnicate'")]
    [TestCase("cluster_size=3000", "Cluster size must be a power of two")]
    public void Bad_options_fail_with_QCOW1010_and_qemus_words(string options, string expected)
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var destination = temp.File("out.qcow2");
        var (ok, engine, _) = Run(source, destination, t => t.Options = options);
        Assert.That(ok, Is.False);
        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1010"));
        Assert.That(error.File, Is.EqualTo(destination));
        Assert.That(error.Message, Does.Contain(expected));
        Assert.That(File.Exists(destination), Is.False);
    }

    [Test]
    public void Raw_output_has_the_guest_bytes_and_leaves_zeros_as_holes()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        Qemu.Io(source, "write -P 0x5a 1M 64k", "write -P 0x00 2M 64k");
        var destination = temp.File("out.img");
        var (ok, engine, _) = Run(source, destination, t => t.OutputFormat = "raw");
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(Hashing.Sha256OfFile(destination), Is.EqualTo(Qemu.RawSha256(source)));
        Assert.That(new FileInfo(destination).Length, Is.EqualTo((long)Qemu.Info(source)["virtual-size"]!));
        Assert.That((long)Qemu.Info(destination)["actual-size"]!, Is.LessThanOrEqualTo(192 * 1024), "only the 192 KiB of 0x5a are written, not the zeros");
    }

    [Test]
    public void Unknown_output_format_fails_with_QCOW1040()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var destination = temp.File("out.vmdk");
        var (ok, engine, _) = Run(source, destination, t => t.OutputFormat = "vmdk");
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1040"), engine.Describe);
        Assert.That(File.Exists(destination), Is.False);
    }

    [Test]
    public void Raw_output_with_compression_fails_with_QCOW1010_and_qemus_words()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var destination = temp.File("out.img");
        var (ok, engine, _) = Run(source, destination, t => { t.OutputFormat = "raw"; t.Compress = true; });
        Assert.That(ok, Is.False);
        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1010"), engine.Describe);
        Assert.That(error.Message, Does.Contain("Compression not supported for this file format"));
        Assert.That(File.Exists(destination), Is.False);
    }

    [Test]
    public void Existing_destination_without_Overwrite_fails_with_QCOW1041_and_stays_untouched()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var destination = temp.File("out.qcow2");
        File.WriteAllText(destination, "keep me");
        var (ok, engine, _) = Run(source, destination, t => t.Overwrite = false);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1041"), engine.Describe);
        Assert.That(File.ReadAllText(destination), Is.EqualTo("keep me"));
    }

    [Test]
    public void Destination_equal_to_source_fails_with_QCOW1043_and_leaves_the_source_alone()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var before = Qemu.RawSha256(source);
        var (ok, engine, _) = Run(source, source);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1043"), engine.Describe);
        Assert.That(Qemu.RawSha256(source), Is.EqualTo(before));
    }

    [Test]
    public void Canceled_build_fails_with_QCOW1006_and_leaves_no_output()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var destination = temp.File("out.qcow2");
        var (ok, engine, _) = Run(source, destination, t => t.Cancel());
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1006"), engine.Describe);
        Assert.That(File.Exists(destination), Is.False);
    }

    [Test]
    public void Cancel_during_conversion_fails_with_QCOW1006_and_deletes_the_partial_output()
    {
        using var temp = new TempDirectory("convert");
        var source = temp.File("source.qcow2");
        Qemu.CreateQcow2(source, "24M");
        Qemu.Io(source, "write -P 0x21 0 64k", "write -P 0x22 20M 64k");
        var destination = temp.File("out.qcow2");
        var engine = new FakeBuildEngine();
        using var task = new QcowConvert { BuildEngine = engine, Source = TestImages.Item(source), Destination = TestImages.Item(destination) };
        // The first progress report comes after the first 8 MiB step; canceling there stops the next step.
        engine.OnMessage = m => { if (m.Message!.StartsWith("Converting ", StringComparison.Ordinal)) task.Cancel(); };
        var ok = task.Execute();
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1006"), engine.Describe);
        Assert.That(engine.Messages.Count(m => m.Message!.StartsWith("Converting ", StringComparison.Ordinal)), Is.EqualTo(1), "stopped after the first step");
        Assert.That(File.Exists(destination), Is.False);
    }

    [Test]
    public void Raw_output_takes_a_size_option_as_qemu_img_does()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var (ok, engine, _) = Run(source, temp.File("out.raw"), t => { t.OutputFormat = "raw"; t.Options = "size=4M"; });
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(Qemu.Compare(source, temp.File("out.raw")), Is.Zero);
    }

    [Test]
    public void Raw_output_refuses_a_qcow2_option_with_qemu_imgs_message()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var (ok, engine, _) = Run(source, temp.File("out.raw"), t => { t.OutputFormat = "raw"; t.Options = "cluster_size=4k"; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Message, Does.Contain("Invalid parameter 'cluster_size'"), engine.Describe);
    }
}

public sealed class QcowConvertOutputIsInputTests
{
    [Test]
    public void A_destination_hard_linked_to_the_source_fails_with_QCOW1043_and_leaves_the_source_unchanged()
    {
        using var temp = new TempDirectory("convert");
        var source = TestImages.Clean(temp, "source.qcow2");
        var link = temp.File("other-name.qcow2");
        Assert.That(ProcessRunner.Run("ln", [source, link]).ExitCode, Is.Zero);
        var before = Hashing.Sha256OfFile(source);
        var engine = new FakeBuildEngine();
        using var task = new QcowConvert { BuildEngine = engine, Source = TestImages.Item(source), Destination = TestImages.Item(link) };
        Assert.That(task.Execute(), Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Is.EqualTo(new[] { "QCOW1043" }), engine.Describe);
        Assert.That(engine.Errors[0].Message, Does.Contain("the source image"));
        Assert.That(Hashing.Sha256OfFile(source), Is.EqualTo(before));
    }
}
