using System.Buffers.Binary;
using System.Security.Cryptography;
using QcowKit.Compression;
using QcowKit.Format;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Compression;

/// <summary>
/// qemu reads our compressed clusters: qemu-io writes a compressed cluster into a fresh image, and
/// we swap its stream and L2 descriptor for ours inside the same host cluster (so refcounts stay
/// right and qemu-img check stays clean), then qemu must read back our cluster's bytes.
/// </summary>
public class QemuCompressedClusterTests
{
    private const int ClusterBits = 16;
    private const int ClusterSize = 1 << ClusterBits;
    private const long ImageSize = 1024 * 1024;

    [TestCase(CompressionType.Deflate, "zlib")]
    [TestCase(CompressionType.Zstd, "zstd")]
    public void Qemu_reads_our_compressed_cluster(CompressionType type, string qemuName)
    {
        using var temp = new TempDirectory("compress");
        var image = temp.File("c.qcow2");
        Qemu.CreateQcow2(image, ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), $"cluster_size={ClusterSize},compression_type={qemuName}");
        Qemu.Io(image, $"write -c -P 0x5a 0 {ClusterSize}");

        var cluster = RealData.Read(ClusterSize);
        var stream = new byte[ClusterSize];
        Assert.That(ClusterCompressor.TryCompressOnce(type, cluster, stream, out var length), Is.True);
        ReplaceFirstCompressedCluster(image, stream.AsSpan(0, length));

        var check = Qemu.Check(image);
        Assert.That(check.ExitCode, Is.Zero, check.Raw.Describe);
        var guest = new byte[ImageSize];
        cluster.CopyTo(guest, 0);
        Assert.That(Qemu.RawSha256(image), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(guest))));
    }

    private static void ReplaceFirstCompressedCluster(string image, ReadOnlySpan<byte> stream)
    {
        using var file = new FileStream(image, FileMode.Open, FileAccess.ReadWrite);
        Span<byte> word = stackalloc byte[8];
        file.Position = 20;
        file.ReadExactly(word[..4]);
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(word), Is.EqualTo(ClusterBits), "cluster_bits");
        file.Position = 40;
        file.ReadExactly(word);
        var l1Offset = (long)BinaryPrimitives.ReadUInt64BigEndian(word);
        file.Position = l1Offset;
        file.ReadExactly(word);
        var l2Offset = (long)(BinaryPrimitives.ReadUInt64BigEndian(word) & 0x00ff_ffff_ffff_fe00UL);
        file.Position = l2Offset;
        file.ReadExactly(word);
        var descriptor = BinaryPrimitives.ReadUInt64BigEndian(word);
        Assert.That(descriptor & (1UL << 62), Is.Not.Zero, "qemu-io wrote a compressed cluster");

        // Compressed descriptor: host offset in bits 0..OffsetBits-1, additional 512-byte sectors in OffsetBits..61.
        const int OffsetBits = 62 - (ClusterBits - 8);
        var hostOffset = (long)(descriptor & ((1UL << OffsetBits) - 1));
        Assert.That(hostOffset % ClusterSize, Is.Zero, "qemu put the first compressed cluster at the start of a host cluster");

        file.Position = hostOffset;
        file.Write(stream);
        var sectors = (ulong)((stream.Length - 1) / 512);
        BinaryPrimitives.WriteUInt64BigEndian(word, (1UL << 62) | (sectors << OffsetBits) | (ulong)hostOffset);
        file.Position = l2Offset;
        file.Write(word);
    }
}
