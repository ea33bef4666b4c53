using QcowKit.Format;
using ZstdSharp;

namespace QcowKit.Compression;

/// <summary>
/// Compresses one guest cluster the way qemu's qcow2 driver does (block/qcow2-threads.c): deflate as
/// a raw stream with a 4 KiB window at level 6 / memLevel 9, zstd as one frame at zstd's default level.
/// The output must be strictly smaller than the cluster, otherwise the caller stores the cluster
/// uncompressed, as qemu does.
/// </summary>
/// <remarks>
/// An instance keeps a zstd context between calls and is not safe to share between threads: give
/// each worker its own. <see cref="TryCompressOnce"/> keeps all state in the call and is safe anywhere.
/// </remarks>
public sealed class ClusterCompressor : IDisposable
{
    /// <summary>ZSTD_CLEVEL_DEFAULT, which qemu gets by not setting a level.</summary>
    internal const int QemuZstdLevel = 3;

    private readonly RawDeflate? _deflate;
    private readonly NativeZstd? _nativeZstd;
    private Compressor? _zstd;
    private nint _nativeContext;
    private bool _disposed;

    /// <summary>
    /// Creates a compressor for one compression type; with <paramref name="portableZstd"/> zstd always goes through
    /// the managed encoder (ZstdSharp), whose output is the same on every machine (libzstd versions differ in bytes).
    /// </summary>
    /// <param name="type">The image's compression type.</param>
    /// <param name="portableZstd">Never use the system libzstd, so that the compressed bytes are reproducible.</param>
    /// <exception cref="PlatformNotSupportedException">Deflate was asked for and no native deflate library with window control exists.</exception>
    public ClusterCompressor(CompressionType type, bool portableZstd = false)
        : this(type, portableZstd ? null : NativeZstd.Instance)
    {
    }

    /// <summary>With <paramref name="nativeZstd"/> null zstd always goes through ZstdSharp (tests compare the two).</summary>
    internal ClusterCompressor(CompressionType type, NativeZstd? nativeZstd)
    {
        Type = type;
        _nativeZstd = type == CompressionType.Zstd ? nativeZstd : null;
        switch (type)
        {
            case CompressionType.Deflate:
                _deflate = RawDeflate.Default ?? throw new PlatformNotSupportedException(
                    "deflate compression needs System.IO.Compression.Native with its deflate exports or a system zlib (libz.so.1): neither was found");
                break;
            case CompressionType.Zstd:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unknown compression type");
        }
    }

    /// <summary>The compression type this instance writes.</summary>
    public CompressionType Type { get; }

    /// <summary>
    /// Compresses <paramref name="cluster"/> into <paramref name="destination"/>. Returns false when the
    /// compressed form would not be smaller than the cluster (or not fit in <paramref name="destination"/>):
    /// then the caller stores the cluster uncompressed.
    /// </summary>
    /// <param name="cluster">One whole guest cluster.</param>
    /// <param name="destination">Receives the stream; <c>cluster.Length - 1</c> bytes are enough for every result.</param>
    /// <param name="compressedLength">The stream's length in bytes, always less than <c>cluster.Length</c>.</param>
    public bool TryCompress(ReadOnlySpan<byte> cluster, Span<byte> destination, out int compressedLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cluster.IsEmpty)
        {
            throw new ArgumentException("a cluster is never empty", nameof(cluster));
        }
        var limit = destination[..Math.Min(destination.Length, cluster.Length - 1)];
        if (Type == CompressionType.Deflate)
        {
            compressedLength = _deflate!.CompressLikeQemu(cluster, limit);
            return compressedLength >= 0;
        }
        if (_nativeZstd is not null)
        {
            if (_nativeContext == 0) _nativeContext = _nativeZstd.CreateCompressionContext(QemuZstdLevel);
            compressedLength = _nativeZstd.Compress(_nativeContext, cluster, limit);
            return compressedLength >= 0;
        }
        _zstd ??= new Compressor(QemuZstdLevel);
        if (_zstd.TryWrap(cluster, limit, out compressedLength))
        {
            return true;
        }
        compressedLength = -1;
        return false;
    }

    /// <summary><see cref="TryCompress"/> with all state created and freed in this call: safe from any thread.</summary>
    internal static bool TryCompressOnce(CompressionType type, ReadOnlySpan<byte> cluster, Span<byte> destination, out int compressedLength)
    {
        using var compressor = new ClusterCompressor(type);
        return compressor.TryCompress(cluster, destination, out compressedLength);
    }

    /// <summary>Frees the zstd context.</summary>
    public void Dispose()
    {
        _zstd?.Dispose();
        _zstd = null;
        if (_nativeContext != 0)
        {
            _nativeZstd!.FreeCompressionContext(_nativeContext);
            _nativeContext = 0;
        }
        _disposed = true;
    }
}
