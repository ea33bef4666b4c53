using QcowKit.Image;
using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Safety;

/// <summary>The engine never writes into an input, and its outputs appear whole or not at all.</summary>
[TestFixture]
public sealed class OutputSafetyTests
{
    private static string RandomRaw(TempDirectory temp, string name, int bytes)
    {
        var path = temp.File(name);
        var data = new byte[bytes];
        new Random(42).NextBytes(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    private static string[] Leftovers(TempDirectory temp) =>
        [.. Directory.GetFiles(temp.Path).Select(Path.GetFileName).Where(n => n!.Contains(".qcowkit-incomplete-", StringComparison.Ordinal))!];

    [Test]
    public void Convert_refuses_a_symlink_to_the_source_and_leaves_it_unchanged()
    {
        using var temp = new TempDirectory("safety");
        var source = RandomRaw(temp, "a.img", 1 << 20);
        var before = Hashing.Sha256OfFile(source);
        File.CreateSymbolicLink(temp.File("link.img"), source);
        var ex = Assert.Throws<OutputIsInputException>(() =>
            QcowConverter.Convert(source, QcowImageFormat.Raw, temp.File("link.img"), new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw }));
        Assert.That(ex!.Message, Does.Contain("link.img").And.Contain("a.img").And.Contain("the source image"));
        Assert.That(Hashing.Sha256OfFile(source), Is.EqualTo(before));
        Assert.That(Leftovers(temp), Is.Empty);
    }

    [Test]
    public void Convert_refuses_a_hard_link_to_the_source()
    {
        using var temp = new TempDirectory("safety");
        var source = RandomRaw(temp, "a.img", 1 << 20);
        var before = Hashing.Sha256OfFile(source);
        var link = temp.File("hard.img");
        Assert.That(ProcessRunner.Run("ln", [source, link]).ExitCode, Is.Zero);
        Assert.Throws<OutputIsInputException>(() =>
            QcowConverter.Convert(source, QcowImageFormat.Raw, link, new QcowConvertOptions()));
        Assert.That(Hashing.Sha256OfFile(source), Is.EqualTo(before));
    }

    [Test]
    public void Convert_refuses_the_backing_file_at_depth_two()
    {
        using var temp = new TempDirectory("safety");
        var @base = temp.File("base.qcow2");
        Qemu.CreateQcow2(@base, "1M");
        Qemu.Io(@base, "write -P 0x5a 0 64k");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", temp.File("mid.qcow2"));
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", temp.File("top.qcow2"));
        var before = Hashing.Sha256OfFile(@base);
        var ex = Assert.Throws<OutputIsInputException>(() =>
            QcowConverter.Convert(temp.File("top.qcow2"), null, @base, new QcowConvertOptions()));
        Assert.That(ex!.InputRelation, Does.Contain("the backing file of").And.Contain("mid.qcow2"));
        Assert.That(Hashing.Sha256OfFile(@base), Is.EqualTo(before));
    }

    [Test]
    public void Convert_refuses_the_data_file_of_the_source()
    {
        using var temp = new TempDirectory("safety");
        var data = temp.File("d.raw");
        var image = temp.File("withdata.qcow2");
        Qemu.CreateQcow2(image, "1M", $"data_file={data}");
        Qemu.Io(image, "write -P 0x5a 0 64k");
        var before = Hashing.Sha256OfFile(data);
        var ex = Assert.Throws<OutputIsInputException>(() =>
            QcowConverter.Convert(image, null, data, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw }));
        Assert.That(ex!.InputRelation, Does.Contain("the data file of"));
        Assert.That(Hashing.Sha256OfFile(data), Is.EqualTo(before));
    }

    [Test]
    public void Create_refuses_an_image_in_its_own_backing_chain()
    {
        using var temp = new TempDirectory("safety");
        var @base = temp.File("base.qcow2");
        Qemu.CreateQcow2(@base, "1M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", temp.File("top.qcow2"));
        var before = Hashing.Sha256OfFile(@base);
        Assert.Throws<OutputIsInputException>(() =>
            QcowImage.Create(@base, new QcowCreateOptions { BackingFile = "top.qcow2", BackingFormat = "qcow2" }).Dispose());
        Assert.That(Hashing.Sha256OfFile(@base), Is.EqualTo(before));
    }

    [Test]
    public void Seed_refuses_to_copy_an_image_onto_itself()
    {
        using var temp = new TempDirectory("safety");
        var source = RandomRaw(temp, "a.img", 1 << 20);
        var before = Hashing.Sha256OfFile(source);
        Assert.Throws<OutputIsInputException>(() => QcowSeeder.CopyImage(source,
            new ImageCopySeedOptions { SourcePath = source }, new SeedTargetOptions { Overwrite = true, Size = 2 << 20 }));
        Assert.That(Hashing.Sha256OfFile(source), Is.EqualTo(before));
    }

    [Test]
    public void A_cancelled_convert_leaves_no_output_and_an_existing_destination_keeps_its_bytes()
    {
        using var temp = new TempDirectory("safety");
        var source = RandomRaw(temp, "a.img", 32 << 20);
        var destination = temp.File("out.qcow2");
        File.WriteAllText(destination, "old bytes");
        using var cancel = new CancellationTokenSource();
        var progress = new CancelOnFirstReport(cancel);
        Assert.Throws<OperationCanceledException>(() => QcowConverter.Convert(source, QcowImageFormat.Raw, destination,
            new QcowConvertOptions { Compress = true }, progress, cancel.Token));
        Assert.That(File.ReadAllText(destination), Is.EqualTo("old bytes"));
        Assert.That(Leftovers(temp), Is.Empty);
    }

    [Test]
    public void A_convert_that_fails_reading_leaves_no_file()
    {
        using var temp = new TempDirectory("safety");
        var source = temp.File("garbled.qcow2");
        var raw = temp.File("a.img");
        File.WriteAllBytes(raw, [.. Enumerable.Range(0, 1 << 20).Select(i => (byte)(i % 251))]);
        Qemu.ImgOk("convert", "-f", "raw", "-O", "qcow2", "-c", raw, source);
        QcowByteEdits.GarbleCompressedStream(source, 3);
        var destination = temp.File("out.raw");
        Assert.That(() => QcowConverter.Convert(source, QcowImageFormat.Qcow2, destination, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw }),
            Throws.InstanceOf<Exception>());
        Assert.That(File.Exists(destination), Is.False, "no output, not even an empty one");
        Assert.That(Leftovers(temp), Is.Empty);
    }

    [Test]
    public void A_created_image_with_a_data_file_names_the_final_data_file()
    {
        using var temp = new TempDirectory("safety");
        var image = temp.File("new.qcow2");
        var data = temp.File("new.data");
        QcowImage.Create(image, new QcowCreateOptions { Size = 1 << 20, DataFile = data }).Dispose();
        Assert.That((string)Qemu.Info(image)["format-specific"]!["data"]!["data-file"]!, Is.EqualTo(data));
        Assert.That(File.Exists(data), Is.True);
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        Assert.That(Leftovers(temp), Is.Empty);
    }

    private sealed class CancelOnFirstReport(CancellationTokenSource cancel) : IProgress<QcowConvertProgress>
    {
        public void Report(QcowConvertProgress value) => cancel.Cancel();
    }
}
