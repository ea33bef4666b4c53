using System.Collections.Concurrent;
using System.IO.Compression;
using QcowKit.Format;
using ZstdSharp.Unsafe;

namespace QcowKit.Compression;

/// <summary>
/// Inflates one compressed cluster the way qemu's qcow2 decompress functions do: the stored bytes
/// run to the end of the descriptor's last sector, so trailing bytes after the stream are ignored,
/// and decompression stops as soon as the cluster is full. Output shorter than the cluster is an
/// error. Safe to use from several threads.
/// </summary>
public sealed unsafe class ClusterDecompressor : IDisposable
{
    // A zstd decompression context is ~100 KiB of native state; reuse them instead of one per cluster.
    private readonly ConcurrentBag<nint> _zstdContexts = [];
    private bool _disposed;

    // System libzstd when present (several times faster), else the managed port; fixed per instance so the
    // pooled contexts are all of one kind.
    private readonly NativeZstd? _native;

    /// <summary>Creates a decompressor for one compression type (zstd through the system libzstd when there is one).</summary>
    /// <param name="type">The image's compression type.</param>
    public ClusterDecompressor(CompressionType type)
        : this(type, NativeZstd.Instance)
    {
    }

    /// <summary>With <paramref name="nativeZstd"/> null zstd always goes through ZstdSharp (tests compare the two).</summary>
    internal ClusterDecompressor(CompressionType type, NativeZstd? nativeZstd)
    {
        Type = type;
        _native = type == CompressionType.Zstd ? nativeZstd : null;
    }

    /// <summary>The compression type this instance reads.</summary>
    public CompressionType Type { get; }

    /// <summary>Fills <paramref name="destination"/> from the stream at the start of <paramref name="source"/>.</summary>
    /// <returns>An error description, or null on success.</returns>
    public string? Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Type switch
        {
            CompressionType.Deflate => Inflate(source, destination),
            CompressionType.Zstd => DecompressZstd(source, destination),
            _ => $"unknown compression type {(int)Type}",
        };
    }

    private static string? Inflate(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // DeflateStream's 32 KiB window inflates the 4 KiB-window streams qemu writes.
        fixed (byte* pointer = source)
        {
            using var input = new UnmanagedMemoryStream(pointer, source.Length);
            using var inflater = new DeflateStream(input, CompressionMode.Decompress);
            var filled = 0;
            try
            {
                while (filled < destination.Length)
                {
                    var read = inflater.Read(destination[filled..]);
                    if (read == 0)
                    {
                        return $"the deflate stream ends after {filled} of {destination.Length} bytes";
                    }
                    filled += read;
                }
            }
            catch (InvalidDataException ex)
            {
                return $"the deflate stream is invalid: {ex.Message}";
            }
        }
        return null;
    }

    private string? DecompressZstd(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (!_zstdContexts.TryTake(out var context))
        {
            context = _native is not null ? _native.CreateDecompressionContext() : (nint)Methods.ZSTD_createDCtx();
        }
        try
        {
            if (_native is not null)
            {
                return _native.Decompress(context, source, destination);
            }
            var dctx = (ZSTD_DCtx_s*)context;
            Methods.ZSTD_DCtx_reset(dctx, ZSTD_ResetDirective.ZSTD_reset_session_only);
            fixed (byte* src = source)
            fixed (byte* dst = destination)
            {
                var input = new ZSTD_inBuffer_s { src = src, size = (nuint)source.Length, pos = 0 };
                var output = new ZSTD_outBuffer_s { dst = dst, size = (nuint)destination.Length, pos = 0 };
                nuint result = 0;
                while (output.pos < output.size)
                {
                    var lastIn = input.pos;
                    var lastOut = output.pos;
                    result = Methods.ZSTD_decompressStream(dctx, &output, &input);
                    if (Methods.ZSTD_isError(result))
                    {
                        return $"the zstd stream is invalid (error code {(long)result})";
                    }
                    if (input.pos <= lastIn && output.pos <= lastOut)
                    {
                        return $"the zstd stream ends after {output.pos} of {destination.Length} bytes";
                    }
                }
                // As qemu: a frame that still has output pending decompresses to more than a cluster.
                if (result > 0)
                {
                    return "the zstd frame holds more than one cluster of data";
                }
            }
            return null;
        }
        finally
        {
            _zstdContexts.Add(context);
        }
    }

    /// <summary>Frees the pooled native decompression contexts.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        while (_zstdContexts.TryTake(out var context))
        {
            if (_native is not null)
            {
                _native.FreeDecompressionContext(context);
            }
            else
            {
                Methods.ZSTD_freeDCtx((ZSTD_DCtx_s*)context);
            }
        }
    }
}
