using QcowKit.Check;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Streams;

/// <summary>
/// Images over a caller's stream (a MemoryStream here): made in memory and judged by qemu-img once saved, and
/// qemu-img's images read from memory to the same guest bytes qemu reads.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class StreamImageTests
{
    private const long DiskSize = 8L << 20;

    /// <summary>Writes at cluster boundaries, inside clusters and across them, so allocation, partial writes and COW-free fills are all exercised.</summary>
    private static readonly (long Offset, int Length, byte Pattern)[] Writes =
    [
        (0, 65536, 0x11),
        (70_000, 1000, 0x22),
        (200_000, 300_000, 0x33),
        (DiskSize - 4096, 4096, 0x44),
    ];

    private static IEnumerable<TestCaseData> CreateOptionCases()
    {
        yield return new TestCaseData((string?)null).SetArgDisplayNames("defaults");
        yield return new TestCaseData("cluster_size=16k,extended_l2=on").SetArgDisplayNames("extended_l2");
        yield return new TestCaseData("compat=0.10,cluster_size=512").SetArgDisplayNames("compat_0.10");
        yield return new TestCaseData("refcount_bits=1,lazy_refcounts=on,compression_type=zstd").SetArgDisplayNames("refcount_bits_1_lazy");
    }

    [TestCaseSource(nameof(CreateOptionCases))]
    public void An_image_created_and_written_in_a_MemoryStream_is_clean_for_qemu_img_check_and_holds_the_written_bytes(string? optionList)
    {
        using var temp = new TempDirectory("stream-create");
        var memory = new MemoryStream();
        var options = QcowCreateOptions.Parse(optionList, DiskSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using (var image = QcowImage.Create(memory, options, leaveOpen: true))
        {
            foreach (var (offset, length, pattern) in Writes)
            {
                image.Write(offset, Filled(length, pattern));
            }
        }
        var imagePath = temp.File("memory.qcow2");
        File.WriteAllBytes(imagePath, memory.ToArray());
        var rawPath = temp.File("expected.raw");
        File.WriteAllBytes(rawPath, ExpectedGuest());

        var check = Qemu.Check(imagePath);
        Assert.That(check.ExitCode, Is.Zero, () => check.Raw.Describe());
        Assert.That(Qemu.Compare(rawPath, imagePath), Is.Zero, "qemu-img compare found the guest bytes differ from what was written");
    }

    [Test]
    public void A_qemu_img_image_opened_from_a_MemoryStream_reads_the_same_guest_bytes_as_qemu()
    {
        using var temp = new TempDirectory("stream-read");
        var imagePath = temp.File("qemu.qcow2");
        Qemu.CreateQcow2(imagePath, "4M", "cluster_size=4k");
        Qemu.Io(imagePath, "write -P 0x5a 0 12k", "write -c -P 0x6b 64k 64k", "write -z 128k 8k", "write -P 0x7c 1000000 777");
        var rawPath = temp.File("qemu.raw");
        Qemu.ImgOk("convert", "-O", "raw", imagePath, rawPath);

        using var image = QcowImage.Open(new MemoryStream(File.ReadAllBytes(imagePath), writable: false));
        var guest = new byte[image.VirtualSize];
        image.Read(0, guest);

        Assert.That(guest, Is.EqualTo(File.ReadAllBytes(rawPath)));
    }

    [Test]
    public void Info_map_and_snapshots_over_a_stream_equal_those_over_the_path()
    {
        using var temp = new TempDirectory("stream-info");
        var imagePath = temp.File("qemu.qcow2");
        Qemu.CreateQcow2(imagePath, "4M");
        Qemu.Io(imagePath, "write -P 0x5a 0 128k", "write -c -P 0x6b 1M 64k");
        Qemu.ImgOk("snapshot", "-c", "first", imagePath);

        using var byPath = QcowImage.Open(imagePath);
        using var byStream = QcowImage.Open(new MemoryStream(File.ReadAllBytes(imagePath)));
        var pathInfo = byPath.GetInfo();
        var streamInfo = byStream.GetInfo();

        Assert.Multiple(() =>
        {
            Assert.That(streamInfo.FileName, Is.EqualTo(QcowImage.StreamFileName));
            Assert.That((streamInfo.VirtualSize, streamInfo.ClusterSize, streamInfo.Compat, streamInfo.DirtyFlag),
                Is.EqualTo((pathInfo.VirtualSize, pathInfo.ClusterSize, pathInfo.Compat, pathInfo.DirtyFlag)));
            Assert.That(streamInfo.ActualSize, Is.Null, "a stream occupies no disk of its own");
            Assert.That(byStream.Snapshots.Select(s => (s.Id, s.Name)), Is.EqualTo(byPath.Snapshots.Select(s => (s.Id, s.Name))));
            Assert.That(byStream.GetAllocationMap().Select(r => r with { HostFile = null }),
                Is.EqualTo(byPath.GetAllocationMap().Select(r => r with { HostFile = null })));
        });
    }

    [Test]
    public void A_qemu_img_image_written_over_a_writable_stream_stays_clean_and_keeps_qemus_bytes()
    {
        using var temp = new TempDirectory("stream-modify");
        var imagePath = temp.File("qemu.qcow2");
        Qemu.CreateQcow2(imagePath, "8M");
        Qemu.Io(imagePath, "write -P 0x11 0 64k");
        var memory = new MemoryStream();
        memory.Write(File.ReadAllBytes(imagePath));
        using (var image = QcowImage.Open(memory, new QcowOpenOptions { Access = FileAccess.ReadWrite }, leaveOpen: true))
        {
            image.Write(32768, Filled(65536, 0x22));
            image.CreateSnapshot("after-write");
            image.Write(0, Filled(512, 0x33));
        }
        var written = temp.File("written.qcow2");
        File.WriteAllBytes(written, memory.ToArray());
        var expected = new byte[8 << 20];
        Filled(65536, 0x11).CopyTo(expected, 0);
        Filled(65536, 0x22).CopyTo(expected, 32768);
        Filled(512, 0x33).CopyTo(expected, 0);
        var rawPath = temp.File("expected.raw");
        File.WriteAllBytes(rawPath, expected);

        var check = Qemu.Check(written);
        Assert.That(check.ExitCode, Is.Zero, () => check.Raw.Describe());
        Assert.That(Qemu.Compare(rawPath, written), Is.Zero);
        Assert.That(Qemu.ImgOk("snapshot", "-l", written).StandardOutput, Does.Contain("after-write"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Disposing_the_image_closes_the_stream_unless_leaveOpen(bool leaveOpen)
    {
        var memory = new MemoryStream();
        QcowImage.Create(memory, new QcowCreateOptions { Size = DiskSize }, leaveOpen).Dispose();

        Assert.That(memory.CanRead, Is.EqualTo(leaveOpen));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Disposing_an_image_opened_over_a_stream_closes_it_unless_leaveOpen(bool leaveOpen)
    {
        var memory = NewImageBytes();

        QcowImage.Open(memory, leaveOpen: leaveOpen).Dispose();

        Assert.That(memory.CanRead, Is.EqualTo(leaveOpen));
    }

    [Test]
    public void A_failed_open_leaves_the_stream_open_even_without_leaveOpen()
    {
        var memory = new MemoryStream(new byte[4096]);

        Assert.Throws<QcowFormatException>(() => QcowImage.Open(memory, leaveOpen: false));
        Assert.That(memory.CanRead, Is.True);
    }

    [Test]
    public void A_read_only_stream_refuses_a_write_open_with_a_bad_argument_error()
    {
        var readOnly = new MemoryStream(NewImageBytes().ToArray(), writable: false);

        var ex = Assert.Throws<QcowOptionsException>(() => QcowImage.Open(readOnly, new QcowOpenOptions { Access = FileAccess.ReadWrite }));
        Assert.That(ex!.Kind, Is.EqualTo(QcowErrorKind.BadArgument));
        Assert.That(ex.Message, Does.Contain("read-only"));
    }

    [Test]
    public void A_read_only_stream_opens_read_only_and_refuses_writes_to_the_image()
    {
        var readOnly = new MemoryStream(NewImageBytes().ToArray(), writable: false);
        using var image = QcowImage.Open(readOnly);

        Assert.That(image.CanWrite, Is.False);
        Assert.Throws<InvalidOperationException>(() => image.Write(0, new byte[512]));
    }

    [Test]
    public void A_stream_that_cannot_seek_is_refused_with_an_ArgumentException()
    {
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);

        Assert.Throws<ArgumentException>(() => QcowImage.Open(pipe));
    }

    [Test]
    public void Creating_onto_a_read_only_stream_is_refused_with_an_ArgumentException()
    {
        var readOnly = new MemoryStream(new byte[1024], writable: false);

        Assert.Throws<ArgumentException>(() => QcowImage.Create(readOnly, new QcowCreateOptions { Size = DiskSize }));
    }

    [Test]
    public void An_image_naming_a_backing_file_is_refused_over_a_stream()
    {
        using var temp = new TempDirectory("stream-backing");
        var overlay = MakeOverlay(temp);

        var ex = Assert.Throws<QcowOptionsException>(() => QcowImage.Open(new MemoryStream(File.ReadAllBytes(overlay))));
        Assert.That(ex!.Message, Does.Contain("backing file 'base.qcow2'"));
    }

    [Test]
    public void An_image_naming_a_backing_file_opens_over_a_stream_for_inspection_when_external_files_are_never_opened()
    {
        using var temp = new TempDirectory("stream-backing-inspect");
        var overlay = MakeOverlay(temp);

        using var image = QcowImage.Open(new MemoryStream(File.ReadAllBytes(overlay)), QcowOpenOptions.Untrusted);
        Assert.That((image.Backing, image.GetInfo().BackingFileName), Is.EqualTo(((IVirtualDisk?)null, "base.qcow2")));
    }

    [Test]
    public void An_image_naming_an_external_data_file_is_refused_over_a_stream()
    {
        using var temp = new TempDirectory("stream-data-file");
        var imagePath = temp.File("img.qcow2");
        Qemu.CreateQcow2(imagePath, "1M", $"data_file={temp.File("img.data")}");

        var ex = Assert.Throws<QcowOptionsException>(() => QcowImage.Open(new MemoryStream(File.ReadAllBytes(imagePath))));
        Assert.That(ex!.Message, Does.Contain("external data file"));
    }

    [TestCase("backing")]
    [TestCase("data-file")]
    public void Creating_onto_a_stream_an_image_that_names_another_file_is_refused(string attachment)
    {
        var options = new QcowCreateOptions { Size = DiskSize };
        if (attachment == "backing") options.BackingFile = "base.qcow2";
        else options.DataFile = "img.data";
        var memory = new MemoryStream();

        Assert.Throws<QcowOptionsException>(() => QcowImage.Create(memory, options));
        Assert.That(memory.Length, Is.Zero, "nothing is written before the refusal");
    }

    [Test]
    public void Reads_from_many_threads_over_one_stream_return_the_right_bytes()
    {
        var memory = new MemoryStream();
        using (var writer = QcowImage.Create(memory, new QcowCreateOptions { Size = DiskSize, ClusterSize = 4096 }, leaveOpen: true))
        {
            for (var block = 0; block < 64; block++)
            {
                writer.Write(block * 65536L, Filled(65536, (byte)(block + 1)));
            }
        }
        using var image = QcowImage.Open(memory);

        Parallel.For(0, 256, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var block = i % 64;
            var buffer = new byte[65536];
            image.Read(block * 65536L, buffer);
            Assert.That(buffer.All(b => b == block + 1), Is.True, $"block {block}");
        });
    }

    private static string MakeOverlay(TempDirectory temp)
    {
        Qemu.CreateQcow2(temp.File("base.qcow2"), "1M");
        var overlay = temp.File("overlay.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay);
        return overlay;
    }

    private static MemoryStream NewImageBytes()
    {
        var memory = new MemoryStream();
        QcowImage.Create(memory, new QcowCreateOptions { Size = DiskSize }, leaveOpen: true).Dispose();
        memory.Position = 0;
        return memory;
    }

    private static byte[] ExpectedGuest()
    {
        var guest = new byte[DiskSize];
        foreach (var (offset, length, pattern) in Writes)
        {
            guest.AsSpan((int)offset, length).Fill(pattern);
        }
        return guest;
    }

    private static byte[] Filled(int length, byte pattern)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(pattern);
        return bytes;
    }
}
