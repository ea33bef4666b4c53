using System.Globalization;
using QcowKit.Image;
using QcowKit.TestSupport;
using static QcowKit.Tests.Writing.WriteTestSupport;

namespace QcowKit.Tests.Bitmaps;

/// <summary>
/// Persistent dirty bitmaps under the write engine, with qemu as the oracle: the same operations are done by
/// qemu-io on one copy of an image and by the engine on another, and the stored bitmaps must match.
/// </summary>
[TestFixture]
public sealed class BitmapTrackingTests
{
    private enum Kind
    {
        Write,
        Zero,
        Discard,
        Compressed,
    }

    private readonly record struct Op(Kind Kind, long Offset, long Length)
    {
        public string QemuIo => Kind switch
        {
            Kind.Write => $"write -P 0x5a {Offset} {Length}",
            Kind.Zero => $"write -z {Offset} {Length}",
            Kind.Discard => $"discard {Offset} {Length}",
            _ => $"write -c -P 0x33 {Offset} {Length}",
        };

        public void Apply(QcowImage image)
        {
            switch (Kind)
            {
                case Kind.Write:
                    image.Write(Offset, Filled((int)Length, 0x5a));
                    break;
                case Kind.Zero:
                    image.WriteZeroes(Offset, Length);
                    break;
                case Kind.Discard:
                    image.Discard(Offset, Length);
                    break;
                default:
                    image.WriteCompressed(Offset, Filled((int)Length, 0x33));
                    break;
            }
        }

        private static byte[] Filled(int length, byte value)
        {
            var data = new byte[length];
            Array.Fill(data, value);
            return data;
        }
    }

    private static string Size(long bytes) => bytes.ToString(CultureInfo.InvariantCulture);

    /// <summary>An image with an enabled bitmap at the default granularity, an enabled one at 512 bytes, a disabled one and an enabled 1 MiB one.</summary>
    private static void MakeImageWithBitmaps(string path, string options, long size)
    {
        Qemu.CreateQcow2(path, Size(size), options);
        Qemu.ImgOk("bitmap", "--add", path, "b0");
        Qemu.ImgOk("bitmap", "--add", "-g", "512", path, "b1");
        Qemu.ImgOk("bitmap", "--add", "--disable", path, "b2");
        Qemu.ImgOk("bitmap", "--add", "-g", "1M", path, "b3");
    }

    private static Op[] Workload(long size) =>
    [
        new(Kind.Write, (size / 4) - 2048, 4096),
        new(Kind.Zero, size * 3 / 4, 65536),
        new(Kind.Discard, size / 2, 131072),
        new(Kind.Discard, 102400, 10240),
        new(Kind.Compressed, 196608, 65536),
        new(Kind.Write, 4000, 1),
        new(Kind.Write, size - 1000, 1000),
    ];

    private static void AssertClean(string image)
    {
        var (exitCode, report, raw) = Qemu.Check(image);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(report?["leaks"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
        Assert.That(report?["corruptions"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
    }

    private static string[] Describe(IEnumerable<BitmapContent> bitmaps) => bitmaps.Select(b => b.ToString()).ToArray();

    private static string[] DirtyOnly(IEnumerable<BitmapContent> bitmaps) =>
        bitmaps.Select(b => $"{b.Name}: {string.Join(", ", b.Dirty.Select(d => $"{d.Start}-{d.End}"))}").ToArray();

    [TestCase("cluster_size=65536", 4L << 20)]
    [TestCase("cluster_size=4096", 64L << 20)]
    [TestCase("extended_l2=on,cluster_size=16384,lazy_refcounts=on", 8L << 20)]
    public void Writes_zeroes_discards_and_compressed_writes_mark_bitmaps_as_qemu_does(string options, long size)
    {
        using var temp = new TempDirectory("bitmaps");
        var byQemu = temp.File("qemu.qcow2");
        var byUs = temp.File("ours.qcow2");
        MakeImageWithBitmaps(byQemu, options, size);
        File.Copy(byQemu, byUs);
        var ops = Workload(size);
        Qemu.Io(byQemu, ops.Select(o => o.QemuIo).ToArray());
        using (var image = OpenWritable(byUs))
        {
            foreach (var op in ops)
            {
                op.Apply(image);
            }
        }

        var expected = BitmapContents.Read(byQemu);
        Assert.That(expected[0].Dirty, Is.Not.Empty, "the workload must dirty the default bitmap");
        Assert.That(Describe(BitmapContents.Read(byUs)), Is.EqualTo(Describe(expected)));
        AssertClean(byUs);
        Assert.That(Qemu.Compare(byQemu, byUs), Is.Zero, "guest bytes");
        // qemu must load our bitmaps as they are: it re-stores them in a copy, which must hold the same bits.
        var copy = temp.File("copy.qcow2");
        Qemu.ImgOk("convert", "--bitmaps", "-O", "qcow2", byUs, copy);
        Assert.That(DirtyOnly(BitmapContents.Read(copy)), Is.EqualTo(DirtyOnly(expected)));
    }

    [TestCase("cluster_size=4096", 31)]
    [TestCase("cluster_size=65536,refcount_bits=4", 32)]
    public void Random_operations_over_several_sessions_leave_the_bitmaps_qemu_leaves(string options, int seed)
    {
        const long DiskSize = 8L << 20;
        using var temp = new TempDirectory("bitmaps");
        var byQemu = temp.File("qemu.qcow2");
        var byUs = temp.File("ours.qcow2");
        MakeImageWithBitmaps(byQemu, options, DiskSize);
        File.Copy(byQemu, byUs);
        var cluster = options.Contains("4096", StringComparison.Ordinal) ? 4096 : 65536;
        var random = new Random(seed);
        // qemu 7.2 fails compressed writes over allocated clusters (EIO): they go to the last MiB, each cluster once.
        var compressedArea = DiskSize - (1 << 20);
        var freshClusters = new Queue<long>(Enumerable.Range(0, (1 << 20) / cluster).OrderBy(_ => random.Next()).Select(c => compressedArea + ((long)c * cluster)));
        for (var session = 0; session < 3; session++)
        {
            var ops = new List<Op>();
            for (var i = 0; i < 25; i++)
            {
                var kind = (Kind)random.Next(4);
                if (kind == Kind.Compressed)
                {
                    ops.Add(new(kind, freshClusters.Dequeue(), cluster));
                    continue;
                }
                var length = random.Next(1, 3 * cluster);
                ops.Add(new(kind, random.Next((int)compressedArea - length), length));
            }
            Qemu.Io(byQemu, ops.Select(o => o.QemuIo).ToArray());
            using (var image = OpenWritable(byUs))
            {
                foreach (var op in ops)
                {
                    op.Apply(image);
                }
            }
            Assert.That(Describe(BitmapContents.Read(byUs)), Is.EqualTo(Describe(BitmapContents.Read(byQemu))), $"after session {session}");
        }
        AssertClean(byUs);
        Assert.That(Qemu.Compare(byQemu, byUs), Is.Zero, "guest bytes");
    }

    [Test]
    public void Clusters_compressed_elsewhere_mark_bitmaps_like_compressed_writes()
    {
        using var temp = new TempDirectory("bitmaps");
        var byQemu = temp.File("qemu.qcow2");
        var byUs = temp.File("ours.qcow2");
        MakeImageWithBitmaps(byQemu, "cluster_size=65536", 4L << 20);
        File.Copy(byQemu, byUs);
        Qemu.Io(byQemu, "write -c -P 0x33 1M 64k", "write -c -P 0x33 3M 64k");
        var compressible = new byte[65536];
        Array.Fill(compressible, (byte)0x33);
        var stream = new byte[65536];
        Assert.That(QcowKit.Compression.ClusterCompressor.TryCompressOnce(QcowKit.Format.CompressionType.Deflate, compressible, stream, out var length), Is.True);
        using (var image = OpenWritable(byUs))
        {
            image.WritePrecompressed(
            [
                new(1 << 20, compressible, stream.AsMemory(0, length)),
                new(3 << 20, compressible, ReadOnlyMemory<byte>.Empty),
            ]);
        }
        Assert.That(Describe(BitmapContents.Read(byUs)), Is.EqualTo(Describe(BitmapContents.Read(byQemu))));
        AssertClean(byUs);
    }

    [Test]
    public void Enabled_bitmaps_are_in_use_on_disk_while_the_image_is_open_for_writing()
    {
        using var temp = new TempDirectory("bitmaps");
        var path = temp.File("open.qcow2");
        var killed = temp.File("killed.qcow2");
        MakeImageWithBitmaps(path, "cluster_size=65536", 4L << 20);
        using (var image = OpenWritable(path))
        {
            image.Write(1 << 20, new byte[4096]);
            image.Flush();
            // What a process killed at this point leaves behind.
            File.Copy(path, killed);
            Assert.That(image.Bitmaps.Select(b => (b.Name, b.InUse)),
                Is.EqualTo(new[] { ("b0", true), ("b1", true), ("b2", false), ("b3", true) }));
        }
        var flags = Qemu.Info(killed)["format-specific"]!["data"]!["bitmaps"]!.AsArray()
            .Select(b => b!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToArray()).ToArray();
        Assert.That(flags, Is.EqualTo(new[] { new[] { "in-use", "auto" }, ["in-use", "auto"], [], ["in-use", "auto"] }));
        AssertClean(killed);
        var resize = Qemu.Img("resize", killed, "+1M");
        Assert.That(resize.StandardError, Does.Contain("Bitmap 'b0' is inconsistent and cannot be used"), resize.Describe);
        Assert.That(BitmapContents.Read(path).Select(b => b.InUse), Is.All.False, "closing stores the bitmaps and clears in_use");
        AssertClean(path);
    }

    [Test]
    public void Bitmaps_in_use_at_open_are_left_alone_and_refuse_a_resize_like_qemu()
    {
        using var temp = new TempDirectory("bitmaps");
        var path = temp.File("open.qcow2");
        var killed = temp.File("killed.qcow2");
        var byQemu = temp.File("qemu.qcow2");
        MakeImageWithBitmaps(path, "cluster_size=65536", 4L << 20);
        using (var image = OpenWritable(path))
        {
            image.Write(1 << 20, new byte[4096]);
            File.Copy(path, killed);
        }
        File.Copy(killed, byQemu);
        var before = BitmapContents.Read(killed);
        IReadOnlyList<QcowBitmapInfo> stored;
        using (var image = OpenWritable(killed))
        {
            stored = image.Bitmaps;
            image.Write(2 << 20, new byte[4096]);
            Assert.That(() => image.Resize(8L << 20), Throws.InvalidOperationException.With.Message.EqualTo("Bitmap 'b0' is inconsistent and cannot be used"));
        }
        Qemu.Io(byQemu, "write 2M 4k");
        Assert.That(Describe(BitmapContents.Read(killed)), Is.EqualTo(Describe(before)));
        Assert.That(Describe(BitmapContents.Read(byQemu)), Is.EqualTo(Describe(before)), "qemu leaves them alone too");
        using (var image = QcowImage.Open(killed))
        {
            Assert.That(image.Bitmaps, Is.EqualTo(stored), "the inconsistent bitmaps' tables were not touched");
            Assert.That(image.VirtualSize, Is.EqualTo(4L << 20));
        }
        AssertClean(killed);
    }

    [TestCase("cluster_size=65536", "4M", "3M", "1M", "300M", "290M", 2, false)]
    [TestCase("cluster_size=4096", "64M", "40M", "8M", "64M", "60M", 4, true)]
    public void Resizing_follows_qemu_for_enabled_and_disabled_bitmaps(string options, string size, string dataAt, string shrinkTo, string growTo,
        string lastWrite, int fineTableSize, bool reopen)
    {
        using var temp = new TempDirectory("bitmaps");
        var byQemu = temp.File("qemu.qcow2");
        var byUs = temp.File("ours.qcow2");
        MakeImageWithBitmaps(byQemu, options, Parse(size));
        File.Copy(byQemu, byUs);
        Qemu.Io(byQemu, $"write {dataAt} 64k", $"discard {dataAt} 64k");
        Qemu.ImgOk("resize", "--shrink", byQemu, shrinkTo);
        Qemu.ImgOk("resize", byQemu, growTo);
        Qemu.Io(byQemu, $"write {lastWrite} 64k");
        var image = OpenWritable(byUs);
        try
        {
            image.Write(Parse(dataAt), new byte[65536]);
            image.Discard(Parse(dataAt), 65536);
            if (reopen)
            {
                // The dirty bits past the shrink are then stored ones, not only ones in memory.
                image.Dispose();
                image = OpenWritable(byUs);
            }
            image.Resize(Parse(shrinkTo), allowShrink: true);
            image.Resize(Parse(growTo));
            image.Write(Parse(lastWrite), new byte[65536]);
        }
        finally
        {
            image.Dispose();
        }
        var expected = BitmapContents.Read(byQemu);
        Assert.That(expected.Single(b => b.Name == "b1").TableSize, Is.EqualTo(fineTableSize), "the 512-byte bitmap spans several data clusters");
        Assert.That(Describe(BitmapContents.Read(byUs)), Is.EqualTo(Describe(expected)));
        AssertClean(byUs);
        var copy = temp.File("copy.qcow2");
        Qemu.ImgOk("convert", "--bitmaps", "-O", "qcow2", byUs, copy);
        Assert.That(DirtyOnly(BitmapContents.Read(copy)), Is.EqualTo(DirtyOnly(expected)));
    }

    private static long Parse(string size) => long.Parse(size.TrimEnd('M'), CultureInfo.InvariantCulture) << 20;

    [Test]
    public void Opening_for_writing_without_changes_leaves_the_file_as_it_was()
    {
        using var temp = new TempDirectory("bitmaps");
        var path = temp.File("a.qcow2");
        MakeImageWithBitmaps(path, "cluster_size=65536", 4L << 20);
        var before = File.ReadAllBytes(path);
        using (var image = OpenWritable(path))
        {
            Assert.That(image.Bitmaps.Select(b => b.InUse), Is.All.False);
        }
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
    }

    [Test]
    public void Applying_a_snapshot_is_refused_while_the_image_has_bitmaps_like_qemu()
    {
        using var temp = new TempDirectory("bitmaps");
        var path = temp.File("s.qcow2");
        Qemu.CreateQcow2(path, "1M");
        Qemu.ImgOk("bitmap", "--add", "--disable", path, "only");
        using (var image = OpenWritable(path))
        {
            image.CreateSnapshot("s");
            Assert.That(() => image.ApplySnapshot("s"), Throws.InvalidOperationException.With.Message.EqualTo("Device has active dirty bitmaps"));
        }
        var qemu = Qemu.Img("snapshot", "-a", "s", path);
        Assert.That(qemu.StandardError, Does.Contain("Could not apply snapshot 's': Device has active dirty bitmaps"), qemu.Describe);
        AssertClean(path);
    }

    [Test]
    public void Bitmaps_of_the_fixture_corpus_are_tracked_like_qemu_does()
    {
        using var temp = new TempDirectory("bitmaps");
        var byQemu = temp.File("qemu.qcow2");
        var byUs = temp.File("ours.qcow2");
        File.Copy(Path.Combine(RepoPaths.Root, "fixtures", "clean-bitmaps.qcow2"), byQemu);
        File.Copy(byQemu, byUs);
        Op[] ops = [new(Kind.Write, 9000, 100), new(Kind.Zero, 40960, 8192), new(Kind.Discard, 126976, 4096)];
        Qemu.Io(byQemu, ops.Select(o => o.QemuIo).ToArray());
        using (var image = OpenWritable(byUs))
        {
            foreach (var op in ops)
            {
                op.Apply(image);
            }
        }
        Assert.That(Describe(BitmapContents.Read(byUs)), Is.EqualTo(Describe(BitmapContents.Read(byQemu))));
        AssertClean(byUs);
    }

    [Test]
    public void A_bitmap_table_qemu_cannot_load_refuses_the_open_as_qemu_does_and_nothing_is_written()
    {
        using var temp = new TempDirectory("bitmaps");
        var path = temp.File("bad.qcow2");
        File.Copy(Path.Combine(RepoPaths.Root, "fixtures", "corrupt-bitmap-table-entry-reserved-bits.qcow2"), path);
        var before = File.ReadAllBytes(path);

        Assert.That(Qemu.Img("info", "-f", "qcow2", path).StandardError, Does.Contain("Could not read bitmap_table table from image for bitmap"));
        Assert.That(() => OpenWritable(path).Dispose(),
            Throws.InstanceOf<QcowFormatException>().With.Message.Contains("table entry 0").And.Message.Contains("reserved bits"));
        Assert.That(() => QcowImage.Open(path).Dispose(), Throws.InstanceOf<QcowFormatException>().With.Message.Contains("reserved bits"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
    }
}
