using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

/// <summary>Every qemu-img create option that changes the on-disk layout: qemu writes, we read the same guest bytes.</summary>
public class LayoutOptionTests
{
    private const long FourMiB = 4L * 1024 * 1024;

    private static void CreateWriteAndCompare(string options, int cluster = 65536, long size = FourMiB, bool compressed = true)
    {
        using var temp = new TempDirectory("layout");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, size.ToString(System.Globalization.CultureInfo.InvariantCulture), options);
        Qemu.Io(path, GuestBytes.Workload(cluster, size, compressed));
        GuestBytes.AssertSameAsQemu(path);
    }

    [TestCase("0.10")]
    [TestCase("1.1")]
    public void Reads_each_compat_level_like_qemu(string compat) => CreateWriteAndCompare($"compat={compat}");

    [TestCase(512)]
    [TestCase(4096)]
    [TestCase(65536)]
    [TestCase(2097152)]
    public void Reads_each_cluster_size_like_qemu(int cluster) =>
        CreateWriteAndCompare($"cluster_size={cluster}", cluster, Math.Max(FourMiB, 8L * cluster));

    [Test]
    public void Reads_512_byte_clusters_of_a_version_2_image_like_qemu() =>
        CreateWriteAndCompare("compat=0.10,cluster_size=512", 512);

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    [TestCase(8)]
    [TestCase(16)]
    [TestCase(32)]
    [TestCase(64)]
    public void Reads_each_refcount_width_like_qemu(int bits) => CreateWriteAndCompare($"refcount_bits={bits}");

    [Test]
    public void Reads_lazy_refcounts_image_like_qemu() => CreateWriteAndCompare("lazy_refcounts=on");

    [TestCase("zlib")]
    [TestCase("zstd")]
    public void Reads_compressed_clusters_of_each_compression_type_like_qemu(string type) =>
        CreateWriteAndCompare($"compression_type={type}");

    [TestCase("metadata")]
    [TestCase("falloc")]
    [TestCase("full")]
    public void Reads_preallocated_image_like_qemu(string mode) =>
        CreateWriteAndCompare($"preallocation={mode}", compressed: false);

    [TestCase(65536)]
    [TestCase(2097152)]
    public void Reads_extended_l2_subclusters_like_qemu(int cluster)
    {
        using var temp = new TempDirectory("extl2");
        var path = temp.File("image.qcow2");
        var size = Math.Max(FourMiB, 8L * cluster);
        Qemu.CreateQcow2(path, size.ToString(System.Globalization.CultureInfo.InvariantCulture), $"extended_l2=on,cluster_size={cluster}");
        var sub = cluster / 32;
        Qemu.Io(path, [.. GuestBytes.Workload(cluster, size),
            $"write -P 0x55 {(cluster * 6) + sub} {sub}",
            $"write -z {(cluster * 6) + (4 * sub)} {2 * sub}",
            $"write -P 0x66 {(cluster * 6) + (9 * sub) + 100} 300",
            $"write -P 0x77 {cluster * 7} {cluster}",
            $"write -z {(cluster * 7) + sub} {sub}",
            $"discard {(cluster * 7) + (8 * sub)} {8 * sub}"]);
        GuestBytes.AssertSameAsQemu(path);
    }

    [Test]
    public void Reads_extended_l2_subclusters_over_a_backing_file_like_qemu()
    {
        using var temp = new TempDirectory("extl2b");
        var basePath = temp.File("base.qcow2");
        var top = temp.File("top.qcow2");
        Qemu.CreateQcow2(basePath, "4M");
        Qemu.Io(basePath, "write -P 0xa1 0 4M");
        Qemu.CreateQcow2(top, "4M", "extended_l2=on,cluster_size=65536,backing_file=base.qcow2,backing_fmt=qcow2");
        Qemu.Io(top, "write -P 0x55 2048 2048", "write -z 8192 4096", "write -P 0x66 65536 100", "write -z 131072 65536",
            "write -P 0x77 200000 70000");
        GuestBytes.AssertSameAsQemu(top);
    }

    [Test]
    public void Reads_zstd_image_converted_by_qemu_with_compression()
    {
        using var temp = new TempDirectory("convc");
        var source = temp.File("source.qcow2");
        var compressed = temp.File("compressed.qcow2");
        Qemu.CreateQcow2(source, "4M");
        Qemu.Io(source, "write -P 0x10 0 1M", "write -P 0x20 1536k 100k", "write -z 2M 64k");
        Qemu.ImgOk("convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd", source, compressed);
        GuestBytes.AssertSameAsQemu(compressed);
    }

    [TestCase(512)]
    [TestCase(65536)]
    [TestCase(2097152)]
    public void Reads_deflate_image_converted_by_qemu_with_compression(int cluster)
    {
        using var temp = new TempDirectory("convd");
        var source = temp.File("source.raw");
        var compressed = temp.File("compressed.qcow2");
        // Text-like data compresses partially, so streams end inside sectors and share them with the next cluster.
        var random = new Random(42);
        var data = new byte[4 * 1024 * 1024];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)('a' + random.Next(0, 12));
        }
        Array.Clear(data, 1 << 20, 65536);
        File.WriteAllBytes(source, data);
        Qemu.ImgOk("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", $"cluster_size={cluster}", source, compressed);
        GuestBytes.AssertSameAsQemu(compressed, oddChunks: cluster != 512);
    }
}
