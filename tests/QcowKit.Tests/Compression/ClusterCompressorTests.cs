using System.IO.Compression;
using QcowKit.Compression;
using QcowKit.Format;
using ZstdSharp;

namespace QcowKit.Tests.Compression;

public class ClusterCompressorTests
{
    private const int ClusterSize = 64 * 1024;

    [Test]
    public void Runtime_native_library_exports_the_deflate_entry_points_we_call()
    {
        // Internal runtime contract: if a runtime update drops or renames these exports, this test says so first.
        var runtime = RuntimeNativeDeflate.TryLoad();
        Assert.That(runtime, Is.Not.Null, "System.IO.Compression.Native lacks CompressionNative_DeflateInit2_/Deflate/DeflateEnd on this runtime");
        var cluster = RealData.Read(ClusterSize);
        var output = new byte[ClusterSize];
        var length = runtime!.CompressLikeQemu(cluster, output);
        Assert.That(length, Is.InRange(1, ClusterSize - 1));
        Assert.That(Inflate(output.AsSpan(0, length)), Is.EqualTo(cluster));
        Assert.That(RawDeflate.Default, Is.InstanceOf<RuntimeNativeDeflate>(), "the runtime library is the preferred implementation");
    }

    [Test]
    public void System_zlib_fallback_deflates_valid_streams()
    {
        var system = SystemZlibDeflate.TryLoad();
        Assert.That(system, Is.Not.Null, "libz.so.1 not found");
        var cluster = RealData.Read(ClusterSize);
        var output = new byte[ClusterSize];
        var length = system!.CompressLikeQemu(cluster, output);
        Assert.That(length, Is.InRange(1, ClusterSize - 1));
        Assert.That(Inflate(output.AsSpan(0, length)), Is.EqualTo(cluster));
    }

    [TestCase(true, false)]
    [TestCase(false, true)]
    public void Native_libzstd_and_the_managed_port_read_each_others_clusters(bool nativeWrites, bool nativeReads)
    {
        var native = NativeZstd.Instance;
        Assert.That(native, Is.Not.Null, "libzstd.so.1 (installed with qemu-utils) not found");
        using var compressor = new ClusterCompressor(CompressionType.Zstd, nativeWrites ? native : null);
        using var decompressor = new ClusterDecompressor(CompressionType.Zstd, nativeReads ? native : null);
        var stream = new byte[ClusterSize + 4096];
        var inflated = new byte[ClusterSize];
        var compressed = 0;
        foreach (var cluster in RealData.Clusters(RealData.Read(8 * ClusterSize), ClusterSize))
        {
            if (!compressor.TryCompress(cluster.Span, stream, out var length)) continue;
            compressed++;
            // Trailing bytes after the frame (the next cluster's, in an image) must be ignored, as qemu does.
            stream.AsSpan(length, 512).Fill(0xA5);
            Assert.That(decompressor.Decompress(stream.AsSpan(0, length + 512), inflated), Is.Null);
            Assert.That(inflated, Is.EqualTo(cluster.ToArray()));
        }
        Assert.That(compressed, Is.Positive);
    }

    [Test]
    public void Native_zstd_reports_a_truncated_frame_instead_of_returning_short_data()
    {
        var native = NativeZstd.Instance;
        Assert.That(native, Is.Not.Null, "libzstd.so.1 (installed with qemu-utils) not found");
        using var compressor = new ClusterCompressor(CompressionType.Zstd, native);
        using var decompressor = new ClusterDecompressor(CompressionType.Zstd, native);
        var cluster = RealData.Read(ClusterSize);
        var stream = new byte[ClusterSize];
        Assert.That(compressor.TryCompress(cluster, stream, out var length), Is.True);
        Assert.That(decompressor.Decompress(stream.AsSpan(0, length / 2), new byte[ClusterSize]), Does.Contain("zstd stream"));
    }

    [TestCase(CompressionType.Deflate)]
    [TestCase(CompressionType.Zstd)]
    public void Round_trips_real_clusters(CompressionType type)
    {
        using var compressor = new ClusterCompressor(type);
        var output = new byte[ClusterSize];
        var compressedAny = 0;
        foreach (var cluster in RealData.Clusters(RealData.Read(16 * ClusterSize), ClusterSize))
        {
            if (!compressor.TryCompress(cluster.Span, output, out var length))
            {
                continue;
            }
            compressedAny++;
            Assert.That(length, Is.LessThan(ClusterSize));
            var restored = type == CompressionType.Deflate ? Inflate(output.AsSpan(0, length)) : Unzstd(output.AsSpan(0, length));
            Assert.That(restored, Is.EqualTo(cluster.ToArray()));
        }
        Assert.That(compressedAny, Is.GreaterThan(8), "real data should mostly compress");
    }

    [TestCase(CompressionType.Deflate)]
    [TestCase(CompressionType.Zstd)]
    public void Reports_not_smaller_for_incompressible_clusters(CompressionType type)
    {
        var random = new byte[ClusterSize];
        new Random(42).NextBytes(random);
        var output = new byte[2 * ClusterSize];
        Assert.That(ClusterCompressor.TryCompressOnce(type, random, output, out _), Is.False);
    }

    [TestCase(CompressionType.Deflate)]
    [TestCase(CompressionType.Zstd)]
    public void Compresses_a_zero_cluster_to_a_few_bytes(CompressionType type)
    {
        var output = new byte[ClusterSize];
        Assert.That(ClusterCompressor.TryCompressOnce(type, new byte[ClusterSize], output, out var length), Is.True);
        Assert.That(length, Is.LessThan(128));
    }

    [Test]
    public void Is_safe_for_parallel_use_with_one_compressor_per_thread()
    {
        var clusters = RealData.Clusters(RealData.Read(32 * ClusterSize), ClusterSize).ToArray();
        var expected = clusters.Select(c =>
        {
            var buffer = new byte[ClusterSize];
            return ClusterCompressor.TryCompressOnce(CompressionType.Zstd, c.Span, buffer, out var n) ? buffer[..n] : null;
        }).ToArray();
        var actual = new byte[]?[clusters.Length];
        Parallel.For(0, clusters.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            () => new ClusterCompressor(CompressionType.Zstd),
            (i, _, compressor) =>
            {
                var buffer = new byte[ClusterSize];
                actual[i] = compressor.TryCompress(clusters[i].Span, buffer, out var n) ? buffer[..n] : null;
                return compressor;
            },
            compressor => compressor.Dispose());
        Assert.That(actual, Is.EqualTo(expected));
    }

    internal static byte[] Inflate(ReadOnlySpan<byte> stream)
    {
        using var input = new MemoryStream(stream.ToArray());
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflater.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] Unzstd(ReadOnlySpan<byte> frame)
    {
        using var decompressor = new Decompressor();
        return decompressor.Unwrap(frame).ToArray();
    }
}
