using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>
/// Conversion of a real ext4 file system (made with mkfs.ext4 -d from installed Python packages) to qcow2:
/// guest bytes equal to the source, clean for qemu-img check, and the same clusters allocated as
/// qemu-img convert allocates.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConvertTests
{
    private TempDirectory? _temp;
    private string _source = "";

    [OneTimeSetUp]
    public void MakeFileSystem()
    {
        _temp = new TempDirectory("convert");
        _source = _temp.File("ext4.raw");
        using (var stream = File.Create(_source))
        {
            stream.SetLength(80L * 1024 * 1024);
        }
        var content = Directory.Exists("/usr/lib/python3/dist-packages") ? "/usr/lib/python3/dist-packages" : "/usr/share/doc";
        var mkfs = ProcessRunner.Run("mkfs.ext4", ["-q", "-F", "-E", "root_owner=0:0", "-d", content, _source]);
        Assert.That(mkfs.ExitCode, Is.Zero, () => "mkfs.ext4 (e2fsprogs) is needed for this test: " + mkfs.Describe());
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp?.Dispose();

    [TestCase(false, "zlib")]
    [TestCase(true, "zlib")]
    [TestCase(true, "zstd")]
    public void Converts_an_ext4_image_to_the_same_guest_bytes_as_qemu(bool compress, string compressionType)
    {
        var ours = _temp!.File($"ours-{compress}-{compressionType}.qcow2");
        var theirs = _temp.File($"theirs-{compress}-{compressionType}.qcow2");
        var reports = new List<QcowConvertProgress>();
        var options = new QcowConvertOptions { Compress = compress, CreateOptions = QcowCreateOptions.Parse($"compression_type={compressionType}") };
        QcowConverter.Convert(_source, QcowImageFormat.Raw, ours, options, new SynchronousProgress(reports.Add));

        var arguments = new List<string> { "convert", "-f", "raw", "-O", "qcow2", "-o", $"compression_type={compressionType}" };
        if (compress) arguments.Add("-c");
        arguments.AddRange([_source, theirs]);
        Qemu.ImgOk([.. arguments]);

        var (exitCode, report, raw) = Qemu.Check(ours);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(Qemu.Img("compare", "-U", "-f", "qcow2", "-F", "raw", ours, _source).ExitCode, Is.Zero, "guest bytes equal the source");
        Assert.That(Qemu.Compare(ours, theirs), Is.Zero, "guest bytes equal qemu-img's conversion");
        var theirReport = Qemu.Check(theirs).Report!;
        Assert.Multiple(() =>
        {
            Assert.That(report!["allocated-clusters"]!.GetValue<long>(), Is.EqualTo(theirReport["allocated-clusters"]!.GetValue<long>()), "all-zero clusters stay unallocated, as with qemu");
            Assert.That(report["compressed-clusters"]?.GetValue<long>() ?? 0, compress ? Is.GreaterThan(0) : Is.Zero);
            Assert.That(reports[^1], Is.EqualTo(new QcowConvertProgress(80L * 1024 * 1024, 80L * 1024 * 1024)));
        });
        if (compress)
        {
            var ourSize = new FileInfo(ours).Length;
            var theirSize = new FileInfo(theirs).Length;
            Assert.That(ourSize, Is.LessThan(theirSize * 1.1), $"compressed output ({ourSize} bytes) about as small as qemu's ({theirSize} bytes)");
        }
    }

    [Test]
    public void Converts_over_a_backing_file_writing_only_what_differs()
    {
        var basePath = _temp!.File("backing-base.qcow2");
        Qemu.ImgOk("convert", "-f", "raw", "-O", "qcow2", _source, basePath);
        var changed = _temp.File("changed.raw");
        File.Copy(_source, changed, overwrite: true);
        using (var stream = new FileStream(changed, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 5L * 1024 * 1024 + 123;
            stream.Write(new byte[] { 1, 2, 3, 4 });
            stream.Position = 0;
            stream.Write(new byte[70_000]); // zeros over non-zero backing data must be written as zeros
        }
        var overlay = _temp.File("overlay.qcow2");
        QcowConverter.Convert(changed, QcowImageFormat.Raw, overlay, new QcowConvertOptions { BackingFile = "backing-base.qcow2", BackingFormat = "qcow2" });
        var (exitCode, report, raw) = Qemu.Check(overlay);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(Qemu.Img("compare", "-U", "-f", "qcow2", "-F", "raw", overlay, changed).ExitCode, Is.Zero);
        Assert.That(report!["allocated-clusters"]!.GetValue<long>(), Is.LessThanOrEqualTo(3), "only the changed clusters are in the overlay");
    }

    [Test]
    public void Cancelling_a_conversion_deletes_the_partial_output()
    {
        var output = _temp!.File("cancelled.qcow2");
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(_ => cancellation.Cancel());
        Assert.Throws<OperationCanceledException>(() =>
            QcowConverter.Convert(_source, QcowImageFormat.Raw, output, new QcowConvertOptions(), progress, cancellation.Token));
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public void Converts_a_compressed_qcow2_to_raw_with_the_same_bytes_and_holes_as_qemu()
    {
        var image = _temp!.File("to-raw-source.qcow2");
        Qemu.ImgOk("convert", "-f", "raw", "-O", "qcow2", "-c", "-o", "compression_type=zstd", _source, image);
        var ours = _temp.File("to-raw-ours.img");
        var theirs = _temp.File("to-raw-theirs.img");
        var reports = new List<QcowConvertProgress>();
        QcowConverter.Convert(image, QcowImageFormat.Qcow2, ours, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw }, new SynchronousProgress(reports.Add));
        Qemu.ImgOk("convert", "-f", "qcow2", "-O", "raw", image, theirs);

        Assert.That(Hashing.Sha256OfFile(ours), Is.EqualTo(Hashing.Sha256OfFile(_source)));
        Assert.That(new FileInfo(ours).Length, Is.EqualTo(new FileInfo(_source).Length));
        // Allocated bytes as qemu's within 64 KiB (the host file system's extent blocks differ by a block or two).
        Assert.That((long)Qemu.Info(ours)["actual-size"]!, Is.LessThanOrEqualTo((long)Qemu.Info(theirs)["actual-size"]! + (64 * 1024)), "zero blocks stay holes, as with qemu");
        Assert.That(reports.Select(r => r.BytesDone), Is.Ordered, "progress only moves forward");
        Assert.That(reports[^1], Is.EqualTo(new QcowConvertProgress(80L * 1024 * 1024, 80L * 1024 * 1024)));
    }

    [Test]
    public void Raw_output_replaces_an_existing_larger_file_whose_old_bytes_do_not_show_through_holes()
    {
        var output = _temp!.File("replaced.img");
        File.WriteAllBytes(output, Enumerable.Repeat((byte)0x5a, 96 * 1024 * 1024).ToArray());

        QcowConverter.Convert(_source, QcowImageFormat.Raw, output, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw });

        Assert.That(new FileInfo(output).Length, Is.EqualTo(new FileInfo(_source).Length));
        Assert.That(Hashing.Sha256OfFile(output), Is.EqualTo(Hashing.Sha256OfFile(_source)), "zero blocks are holes of a truncated file, not the old bytes");
    }

    [Test]
    public void Raw_output_refuses_compression_and_a_backing_file_with_qemus_words()
    {
        var output = _temp!.File("refused.img");
        Assert.Multiple(() =>
        {
            Assert.That(() => QcowConverter.Convert(_source, QcowImageFormat.Raw, output, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw, Compress = true }),
                Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo("Compression not supported for this file format"));
            Assert.That(() => QcowConverter.Convert(_source, QcowImageFormat.Raw, output, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw, BackingFile = "base.qcow2" }),
                Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo("Backing file not supported for file format 'raw'"));
            Assert.That(() => QcowConverter.Convert(_source, QcowImageFormat.Raw, output, new QcowConvertOptions { OutputFormat = (QcowImageFormat)7 }),
                Throws.TypeOf<QcowOptionsException>());
        });
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public void Cancelling_a_raw_conversion_deletes_the_partial_output()
    {
        var output = _temp!.File("cancelled.img");
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(_ => cancellation.Cancel());
        Assert.Throws<OperationCanceledException>(() =>
            QcowConverter.Convert(_source, QcowImageFormat.Raw, output, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw, MaxDegreeOfParallelism = 1 }, progress, cancellation.Token));
        Assert.That(File.Exists(output), Is.False);
    }

    [TestCase(1)]
    [TestCase(4)]
    public void A_corrupt_compressed_cluster_fails_a_raw_conversion_with_its_offset(int threads)
    {
        var image = _temp!.File($"corrupt-{threads}.qcow2");
        Qemu.ImgOk("convert", "-f", "raw", "-O", "qcow2", "-c", _source, image);
        // The tenth compressed cluster: past the first pieces, so that the failure comes mid-conversion.
        var streamOffset = QcowByteEdits.GarbleCompressedStream(image, nth: 9);

        var output = _temp.File($"corrupt-{threads}.img");
        Assert.That(() => QcowConverter.Convert(image, QcowImageFormat.Qcow2, output, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw, MaxDegreeOfParallelism = threads }),
            Throws.InstanceOf<QcowFormatException>().With.Property(nameof(QcowFormatException.Offset)).EqualTo(streamOffset));
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<QcowConvertProgress> report) : IProgress<QcowConvertProgress>
    {
        public void Report(QcowConvertProgress value) => report(value);
    }
}
