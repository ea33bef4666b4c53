using QcowKit.Image;
using QcowKit.TestSupport;
using static QcowKit.Tests.Writing.WriteTestSupport;

namespace QcowKit.Tests.Writing;

[TestFixture]
public sealed class WriteTests
{
    private const int MiB = 1024 * 1024;

    [TestCase("cluster_size=64k")]
    [TestCase("compat=0.10")]
    [TestCase("cluster_size=512,refcount_bits=1")]
    [TestCase("cluster_size=16k,extended_l2=on")]
    [TestCase("cluster_size=2M,refcount_bits=64")]
    public void Writes_unaligned_data_that_qemu_reads_back(string options)
    {
        using var temp = new TempDirectory("write");
        var path = temp.File("w.qcow2");
        var model = new byte[4 * MiB];
        var random = new Random(1);
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(options, "4M")))
        {
            foreach (var (offset, length) in new[] { (0L, 100), (70_000L, 200_000), (4L * MiB - 513, 513), (1_000_000L, 1), (65_536L, 65_536) })
            {
                var data = new byte[length];
                random.NextBytes(data);
                image.Write(offset, data);
                data.CopyTo(model, offset);
            }
            var back = new byte[model.Length];
            image.Read(0, back);
            Assert.That(back, Is.EqualTo(model), "reads through the same image after writing");
        }
        AssertCleanAndEqual(path, model, temp.Path);
    }

    [TestCase("cluster_size=64k")]
    [TestCase("compat=0.10,cluster_size=4k")]
    [TestCase("cluster_size=512,refcount_bits=4")]
    public void A_multi_cluster_write_takes_one_contiguous_host_run_over_unallocated_compressed_zero_and_shared_clusters(string options)
    {
        using var temp = new TempDirectory("write");
        var path = temp.File("run.qcow2");
        var random = new Random(11);
        int cluster;
        var model = new byte[2 * MiB];
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(options, "2M")))
        {
            cluster = image.ClusterSize;
            // Clusters 2-3 compressed, 5 written in place later, 6 zeroed, all of them shared with a snapshot.
            var compressed = Compressible(random, 2 * cluster);
            image.WriteCompressed(2L * cluster, compressed);
            compressed.CopyTo(model, 2 * cluster);
            var single = new byte[cluster];
            random.NextBytes(single);
            image.Write(5L * cluster, single);
            single.CopyTo(model, 5 * cluster);
            image.WriteZeroes(6L * cluster, cluster);
            image.CreateSnapshot("before");
            // A one-cluster hole in the host file (after the snapshot, which copies the L2 table on this first
            // write): cluster-by-cluster allocation would put the run's first cluster there.
            var filler = new byte[2 * cluster];
            random.NextBytes(filler);
            image.Write(20L * cluster, filler);
            image.Discard(20L * cluster, cluster);
            filler.AsSpan(cluster).CopyTo(model.AsSpan(21 * cluster));
            var data = new byte[12 * cluster];
            random.NextBytes(data);
            image.Write(cluster, data);
            data.CopyTo(model, cluster);
        }
        AssertCleanAndEqual(path, model, temp.Path);
        // qemu-img map joins guest-adjacent extents whose host offsets are adjacent too.
        var written = Qemu.Map(path).Select(e => e!)
            .Where(e => e["offset"] is not null && (long)e["start"]! >= cluster && (long)e["start"]! < 13L * cluster).ToList();
        Assert.That(written.Sum(e => (long)e["length"]!), Is.EqualTo(12L * cluster), "every written cluster has a host cluster");
        Assert.That(written, Has.Count.EqualTo(1), () => "the 12 clusters lie in one contiguous host run: " + string.Join(", ", written.Select(e => e.ToJsonString())));
        Assert.That(Qemu.ImgOk("snapshot", "-l", path).StandardOutput, Does.Contain("before"));
    }

    [Test]
    public void Writable_stream_writes_guest_bytes()
    {
        using var temp = new TempDirectory("write");
        var path = temp.File("s.qcow2");
        var model = new byte[2 * MiB];
        new Random(2).NextBytes(model.AsSpan(300_000, 500_000));
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(null, "2M")))
        using (var stream = image.OpenStream())
        {
            Assert.That(stream.CanWrite, Is.True);
            stream.Position = 300_000;
            stream.Write(model, 300_000, 500_000);
            stream.Flush();
        }
        AssertCleanAndEqual(path, model, temp.Path);
    }

    [TestCase("")]
    [TestCase("compat=0.10")]
    [TestCase("cluster_size=32k,extended_l2=on")]
    public void Copies_partial_clusters_from_a_qcow2_backing_file(string options)
    {
        using var temp = new TempDirectory("write");
        var basePath = temp.File("base.qcow2");
        Qemu.CreateQcow2(basePath, "3M");
        Qemu.Io(basePath, "write -P 0x11 0 3M");
        var model = new byte[3 * MiB];
        Array.Fill(model, (byte)0x11);
        var overlay = temp.File("overlay.qcow2");
        var list = "backing_file=base.qcow2,backing_fmt=qcow2" + (options.Length > 0 ? "," + options : "");
        using (var image = QcowImage.Create(overlay, QcowCreateOptions.Parse(list)))
        {
            var data = new byte[5000];
            new Random(3).NextBytes(data);
            image.Write(100_000, data);
            data.CopyTo(model, 100_000);
            image.Write(2 * MiB - 10, data);
            data.CopyTo(model, 2 * MiB - 10);
        }
        AssertCleanAndEqual(overlay, model, temp.Path);
    }

    [Test]
    public void Subcluster_aligned_writes_allocate_only_their_subclusters()
    {
        using var temp = new TempDirectory("write");
        var basePath = temp.File("base.qcow2");
        Qemu.CreateQcow2(basePath, "1M");
        Qemu.Io(basePath, "write -P 0x22 0 1M");
        var overlay = temp.File("overlay.qcow2");
        using (var image = QcowImage.Create(overlay, QcowCreateOptions.Parse("backing_file=base.qcow2,backing_fmt=qcow2,cluster_size=64k,extended_l2=on")))
        {
            image.Write(2048, new byte[2048]); // subcluster 1 of cluster 0 (2 KiB subclusters)
        }
        var map = Qemu.Map(overlay);
        var depth0 = map.Where(e => e!["depth"]!.GetValue<int>() == 0).Select(e => (e!["start"]!.GetValue<long>(), e["length"]!.GetValue<long>())).ToList();
        Assert.That(depth0, Is.EqualTo(new[] { (2048L, 2048L) }));
        var model = new byte[MiB];
        Array.Fill(model, (byte)0x22);
        Array.Clear(model, 2048, 2048);
        AssertCleanAndEqual(overlay, model, temp.Path);
    }

    [TestCase("")]
    [TestCase("compat=0.10")]
    [TestCase("cluster_size=16k,extended_l2=on")]
    public void Write_zeroes_and_discard_free_clusters(string options)
    {
        using var temp = new TempDirectory("write");
        var path = temp.File("z.qcow2");
        var model = new byte[2 * MiB];
        var random = new Random(4);
        random.NextBytes(model);
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(options.Length > 0 ? options : null, "2M")))
        {
            image.Write(0, model);
            image.WriteZeroes(65_536, 3 * 65_536);
            Array.Clear(model, 65_536, 3 * 65_536);
            image.WriteZeroes(700_001, 3000);
            Array.Clear(model, 700_001, 3000);
            image.Discard(MiB, 512 * 1024);
            Array.Clear(model, MiB, 512 * 1024);
        }
        AssertCleanAndEqual(path, model, temp.Path);
        var check = Qemu.Check(path).Report!;
        Assert.That(check["allocated-clusters"]!.GetValue<long>(), Is.LessThan(check["total-clusters"]!.GetValue<long>()), "zeroed and discarded clusters are no longer allocated");
    }

    [TestCase("compression_type=zlib")]
    [TestCase("compression_type=zstd")]
    [TestCase("compression_type=zlib,cluster_size=4k")]
    [TestCase("compression_type=zstd,cluster_size=32k,extended_l2=on")]
    public void Compressed_clusters_are_packed_and_read_back_by_qemu(string options)
    {
        using var temp = new TempDirectory("write");
        var path = temp.File("c.qcow2");
        var random = new Random(5);
        byte[] model;
        int clusterSize;
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(options, "1M")))
        {
            clusterSize = image.ClusterSize;
            model = new byte[MiB];
            var compressible = Compressible(random, 8 * clusterSize);
            image.WriteCompressed(0, compressible);
            compressible.CopyTo(model, 0);
            var incompressible = new byte[clusterSize];
            random.NextBytes(incompressible);
            image.WriteCompressed(8L * clusterSize, incompressible);
            incompressible.CopyTo(model, 8 * clusterSize);
            // Overwrite part of a compressed cluster: it must be inflated and rewritten.
            image.Write(clusterSize + 10, new byte[] { 1, 2, 3 });
            model[clusterSize + 10] = 1;
            model[clusterSize + 11] = 2;
            model[clusterSize + 12] = 3;
        }
        AssertCleanAndEqual(path, model, temp.Path);
        var check = Qemu.Check(path).Report!;
        Assert.That(check["compressed-clusters"]!.GetValue<long>(), Is.EqualTo(7), "7 of the 8 compressible clusters stay compressed");
        var io = Qemu.Io(path, $"read -v {2 * clusterSize} 32");
        var expectedHex = string.Join(' ', model.Skip(2 * clusterSize).Take(16).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(io.StandardOutput, Does.Contain(expectedHex));
        var sizes = Qemu.Map(path).Count;
        Assert.That(sizes, Is.GreaterThan(0));
    }

    [Test]
    public void Lazy_refcount_images_are_dirty_while_open_and_clean_after()
    {
        using var temp = new TempDirectory("write");
        var path = temp.File("lazy.qcow2");
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse("lazy_refcounts=on", "1M")))
        {
            image.Write(0, new byte[] { 1 });
            var dirty = ReadIncompatible(path);
            Assert.That(dirty & 1, Is.EqualTo(1UL), "dirty bit while open read-write");
        }
        Assert.That(ReadIncompatible(path) & 1, Is.Zero, "dirty bit cleared on close");
        var model = new byte[MiB];
        model[0] = 1;
        AssertCleanAndEqual(path, model, temp.Path);
    }

    private static ulong ReadIncompatible(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var header = new byte[80];
        stream.ReadExactly(header);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(72));
    }

    [Test]
    public void Writes_to_an_external_data_file_at_guest_offsets()
    {
        using var temp = new TempDirectory("write");
        var path = temp.File("d.qcow2");
        var data = temp.File("d.data");
        var model = new byte[MiB];
        new Random(6).NextBytes(model.AsSpan(4096, 200_000));
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse($"data_file={data}", "1M")))
        {
            image.Write(4096, model.AsSpan(4096, 200_000));
        }
        AssertCleanAndEqual(path, model, temp.Path);
        Assert.That(File.ReadAllBytes(data).AsSpan(4096, 200_000).SequenceEqual(model.AsSpan(4096, 200_000)), Is.True);
    }
}
