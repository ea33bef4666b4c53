using System.Runtime.InteropServices;

namespace QcowKit.Compression;

/// <summary>
/// zstd through the system's libzstd (libzstd.so.1, which qemu-img itself links). Native zstd compresses
/// and decompresses several times faster than the managed port, so it is preferred when present; the
/// managed ZstdSharp stays the fallback (Windows, or a machine without libzstd).
/// </summary>
/// <remarks>Contexts are opaque pointers; each one must be used by one thread at a time.</remarks>
internal sealed unsafe class NativeZstd
{
    private const int ResetSessionOnly = 1;
    private const int CompressionLevelParameter = 100;

    private static readonly string[] Candidates = ["libzstd.so.1", "libzstd.1.dylib", "libzstd.so"];

    private static readonly Lazy<NativeZstd?> Loaded = new(TryLoad);

    private readonly delegate* unmanaged<nint> _createDCtx;
    private readonly delegate* unmanaged<nint, nuint> _freeDCtx;
    private readonly delegate* unmanaged<nint, int, nuint> _resetDCtx;
    private readonly delegate* unmanaged<nint, Buffer*, Buffer*, nuint> _decompressStream;
    private readonly delegate* unmanaged<nint> _createCCtx;
    private readonly delegate* unmanaged<nint, nuint> _freeCCtx;
    private readonly delegate* unmanaged<nint, int, int, nuint> _setCParameter;
    private readonly delegate* unmanaged<nint, void*, nuint, void*, nuint, nuint> _compress2;
    private readonly delegate* unmanaged<nuint, uint> _isError;

    private NativeZstd(nint[] exports)
    {
        _createDCtx = (delegate* unmanaged<nint>)exports[0];
        _freeDCtx = (delegate* unmanaged<nint, nuint>)exports[1];
        _resetDCtx = (delegate* unmanaged<nint, int, nuint>)exports[2];
        _decompressStream = (delegate* unmanaged<nint, Buffer*, Buffer*, nuint>)exports[3];
        _createCCtx = (delegate* unmanaged<nint>)exports[4];
        _freeCCtx = (delegate* unmanaged<nint, nuint>)exports[5];
        _setCParameter = (delegate* unmanaged<nint, int, int, nuint>)exports[6];
        _compress2 = (delegate* unmanaged<nint, void*, nuint, void*, nuint, nuint>)exports[7];
        _isError = (delegate* unmanaged<nuint, uint>)exports[8];
    }

    /// <summary>The system libzstd, or null when there is none (then callers use ZstdSharp).</summary>
    public static NativeZstd? Instance => Loaded.Value;

    /// <summary>ZSTD_inBuffer and ZSTD_outBuffer have the same layout: pointer, size, position.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Buffer
    {
        public void* Data;
        public nuint Size;
        public nuint Position;
    }

    private static NativeZstd? TryLoad()
    {
        string[] names =
        [
            "ZSTD_createDCtx", "ZSTD_freeDCtx", "ZSTD_DCtx_reset", "ZSTD_decompressStream",
            "ZSTD_createCCtx", "ZSTD_freeCCtx", "ZSTD_CCtx_setParameter", "ZSTD_compress2", "ZSTD_isError",
        ];
        foreach (var candidate in Candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out var handle))
            {
                continue;
            }
            var exports = new nint[names.Length];
            var complete = true;
            for (var i = 0; i < names.Length && complete; i++)
            {
                complete = NativeLibrary.TryGetExport(handle, names[i], out exports[i]);
            }
            if (complete)
            {
                return new NativeZstd(exports);
            }
            NativeLibrary.Free(handle);
        }
        return null;
    }

    public nint CreateDecompressionContext() => _createDCtx();

    public void FreeDecompressionContext(nint context) => _freeDCtx(context);

    public nint CreateCompressionContext(int level)
    {
        var context = _createCCtx();
        if (context == 0) throw new InvalidOperationException("ZSTD_createCCtx failed");
        if (_isError(_setCParameter(context, CompressionLevelParameter, level)) != 0)
        {
            _freeCCtx(context);
            throw new InvalidOperationException($"libzstd refused compression level {level}");
        }
        return context;
    }

    public void FreeCompressionContext(nint context) => _freeCCtx(context);

    /// <summary>One frame of <paramref name="source"/> into <paramref name="destination"/>; -1 when it does not fit.</summary>
    public int Compress(nint context, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var result = _compress2(context, dst, (nuint)destination.Length, src, (nuint)source.Length);
            // The only error a well-formed call can get is "destination too small": the caller stores the cluster raw.
            return _isError(result) != 0 ? -1 : (int)result;
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> from the frame at the start of <paramref name="source"/>, stopping
    /// once it is full (trailing bytes are ignored, as qemu does).
    /// </summary>
    /// <returns>An error description, or null on success.</returns>
    public string? Decompress(nint context, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        _resetDCtx(context, ResetSessionOnly);
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var input = new Buffer { Data = src, Size = (nuint)source.Length };
            var output = new Buffer { Data = dst, Size = (nuint)destination.Length };
            nuint result = 0;
            while (output.Position < output.Size)
            {
                var lastIn = input.Position;
                var lastOut = output.Position;
                result = _decompressStream(context, &output, &input);
                if (_isError(result) != 0)
                {
                    return $"the zstd stream is invalid (error code {(long)result})";
                }
                if (input.Position <= lastIn && output.Position <= lastOut)
                {
                    return $"the zstd stream ends after {output.Position} of {destination.Length} bytes";
                }
            }
            // As qemu: a frame that still has output pending decompresses to more than a cluster.
            return result > 0 ? "the zstd frame holds more than one cluster of data" : null;
        }
    }
}
