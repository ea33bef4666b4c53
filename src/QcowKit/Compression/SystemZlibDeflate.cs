using System.Runtime.InteropServices;

namespace QcowKit.Compression;

/// <summary>
/// Deflate through the system's zlib (libz.so.1; the unversioned libz.so only comes with the dev
/// package). The fallback for runtimes whose own native library lacks the deflate exports.
/// </summary>
internal sealed unsafe class SystemZlibDeflate : RawDeflate
{
    private static readonly string[] Candidates = ["libz.so.1", "libz.1.dylib", "libz.so"];

    private readonly string _name;
    private readonly nint _version;
    private readonly delegate* unmanaged<ZStream*, int, int, int, int, int, nint, int, int> _deflateInit2;
    private readonly delegate* unmanaged<ZStream*, int, int> _deflate;
    private readonly delegate* unmanaged<ZStream*, int> _deflateEnd;

    private SystemZlibDeflate(string name, nint version, nint deflateInit2, nint deflate, nint deflateEnd)
    {
        _name = name;
        _version = version;
        _deflateInit2 = (delegate* unmanaged<ZStream*, int, int, int, int, int, nint, int, int>)deflateInit2;
        _deflate = (delegate* unmanaged<ZStream*, int, int>)deflate;
        _deflateEnd = (delegate* unmanaged<ZStream*, int>)deflateEnd;
    }

    public override string Name => _name;

    /// <summary>Loads the system zlib, or returns null when there is none (Windows has no system zlib).</summary>
    public static SystemZlibDeflate? TryLoad()
    {
        foreach (var candidate in Candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out var handle))
            {
                continue;
            }
            if (NativeLibrary.TryGetExport(handle, "zlibVersion", out var zlibVersion)
                && NativeLibrary.TryGetExport(handle, "deflateInit2_", out var init)
                && NativeLibrary.TryGetExport(handle, "deflate", out var deflate)
                && NativeLibrary.TryGetExport(handle, "deflateEnd", out var end))
            {
                // deflateInit2_ wants the caller's zlib version string; the library's own is always accepted.
                var version = ((delegate* unmanaged<nint>)zlibVersion)();
                return new SystemZlibDeflate(candidate, version, init, deflate, end);
            }
            NativeLibrary.Free(handle);
        }
        return null;
    }

    public override int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level, int windowBits, int memLevel)
    {
        fixed (byte* input = source)
        fixed (byte* output = destination)
        {
            var stream = new ZStream
            {
                NextIn = input,
                AvailIn = (uint)source.Length,
                NextOut = output,
                AvailOut = (uint)destination.Length,
            };
            var status = _deflateInit2(&stream, level, ZDeflated, windowBits, memLevel, ZDefaultStrategy, _version, sizeof(ZStream));
            if (status != ZOk)
            {
                throw Failure(_name, "deflateInit2_", status);
            }
            try
            {
                status = _deflate(&stream, ZFinish);
                return FinishedLength(status, stream.AvailOut, destination.Length, _name, "deflate");
            }
            finally
            {
                _ = _deflateEnd(&stream);
            }
        }
    }
}
