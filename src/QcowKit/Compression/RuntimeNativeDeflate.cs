using System.Reflection;
using System.Runtime.InteropServices;

namespace QcowKit.Compression;

/// <summary>
/// Deflate through the runtime's own native compression library (zlib-ng in .NET 10), which
/// DeflateStream uses internally but without exposing the window size. Its exports are an internal
/// runtime contract with no stability promise: when they are missing this returns null and
/// <see cref="SystemZlibDeflate"/> takes over.
/// </summary>
internal sealed unsafe class RuntimeNativeDeflate : RawDeflate
{
    private const string LibraryName = "System.IO.Compression.Native";

    private readonly delegate* unmanaged<PalZStream*, int, int, int, int, int, int> _deflateInit2;
    private readonly delegate* unmanaged<PalZStream*, int, int> _deflate;
    private readonly delegate* unmanaged<PalZStream*, int> _deflateEnd;

    private RuntimeNativeDeflate(nint deflateInit2, nint deflate, nint deflateEnd)
    {
        _deflateInit2 = (delegate* unmanaged<PalZStream*, int, int, int, int, int, int>)deflateInit2;
        _deflate = (delegate* unmanaged<PalZStream*, int, int>)deflate;
        _deflateEnd = (delegate* unmanaged<PalZStream*, int>)deflateEnd;
    }

    public override string Name => LibraryName;

    /// <summary>Loads the runtime library's deflate exports, or returns null when any is missing.</summary>
    public static RuntimeNativeDeflate? TryLoad()
    {
        // The runtime probes its own folder for this name, exactly as for its DllImports.
        if (!NativeLibrary.TryLoad(LibraryName, typeof(object).Assembly, DllImportSearchPath.AssemblyDirectory, out var handle)
            && !NativeLibrary.TryLoad(LibraryName, Assembly.GetExecutingAssembly(), null, out handle))
        {
            return null;
        }
        if (NativeLibrary.TryGetExport(handle, "CompressionNative_DeflateInit2_", out var init)
            && NativeLibrary.TryGetExport(handle, "CompressionNative_Deflate", out var deflate)
            && NativeLibrary.TryGetExport(handle, "CompressionNative_DeflateEnd", out var end))
        {
            return new RuntimeNativeDeflate(init, deflate, end);
        }
        return null;
    }

    public override int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level, int windowBits, int memLevel)
    {
        fixed (byte* input = source)
        fixed (byte* output = destination)
        {
            var stream = new PalZStream
            {
                NextIn = input,
                AvailIn = (uint)source.Length,
                NextOut = output,
                AvailOut = (uint)destination.Length,
            };
            var status = _deflateInit2(&stream, level, ZDeflated, windowBits, memLevel, ZDefaultStrategy);
            if (status != ZOk)
            {
                throw Failure(LibraryName, "DeflateInit2_", status);
            }
            try
            {
                status = _deflate(&stream, ZFinish);
                return FinishedLength(status, stream.AvailOut, destination.Length, LibraryName, "Deflate");
            }
            finally
            {
                _ = _deflateEnd(&stream);
            }
        }
    }
}
