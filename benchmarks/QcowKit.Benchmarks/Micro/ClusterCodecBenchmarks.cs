using BenchmarkDotNet.Attributes;
using QcowKit.Compression;
using QcowKit.Format;

namespace QcowKit.Benchmarks.Micro;

/// <summary>Compressing and inflating one 64 KiB cluster of real data (a system library's bytes).</summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class ClusterCodecBenchmarks : IDisposable
{
    private const int ClusterSize = 65536;
    private readonly byte[] _cluster = new byte[ClusterSize];
    private readonly byte[] _compressed = new byte[ClusterSize];
    private readonly byte[] _output = new byte[ClusterSize];
    private int _compressedLength;
    private ClusterCompressor? _compressor;
    private ClusterDecompressor? _decompressor;

    [Params(CompressionType.Deflate, CompressionType.Zstd)]
    public CompressionType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        SampleData.Fill(_cluster);
        _compressor = new ClusterCompressor(Type);
        _decompressor = new ClusterDecompressor(Type);
        if (!_compressor.TryCompress(_cluster, _compressed, out _compressedLength))
        {
            throw new InvalidOperationException("sample cluster did not compress");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _compressor?.Dispose();
        _decompressor?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public int Compress_cluster() => _compressor!.TryCompress(_cluster, _output, out var length) ? length : -1;

    [Benchmark]
    public string? Decompress_cluster() => _decompressor!.Decompress(_compressed.AsSpan(0, _compressedLength), _output);
}
