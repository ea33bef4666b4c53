using System.Runtime.InteropServices;

namespace QcowKit.Compression;

/// <summary>
/// Deflate through the runtime's own native compression library (zlib-ng in .NET 10), which
/// DeflateStream uses internally but without exposing the window size. Its exports are an internal
/// runtime contract with no stability promise: when they are missing this returns null and
/// <see cref="SystemZlibDeflate"/> takes over.
/// </summary>
/// <remarks>
/// Declared as DllImports under the runtime's own library name rather than loaded by hand: a JIT runtime
/// resolves the name in its framework folder, and NativeAOT turns these into direct calls into the copy of the
/// library it links statically (there is no .so to load then, and loading the system libz instead would
/// deflate at half the speed).
/// </remarks>
internal sealed unsafe partial class RuntimeNativeDeflate : RawDeflate
{
    private const string LibraryName = "libSystem.IO.Compression.Native";

    private RuntimeNativeDeflate()
    {
    }

    public override string Name => LibraryName;

    /// <summary>Returns the runtime library's deflate, or null when the library or its entry points are missing.</summary>
    public static RuntimeNativeDeflate? TryLoad()
    {
        var deflate = new RuntimeNativeDeflate();
        try
        {
            // One tiny stream binds all three entry points, so that a missing one shows here and not mid-convert.
            Span<byte> probe = stackalloc byte[64];
            return deflate.CompressLikeQemu("qcow2"u8, probe) > 0 ? deflate : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
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
            var status = DeflateInit2(&stream, level, ZDeflated, windowBits, memLevel, ZDefaultStrategy);
            if (status != ZOk)
            {
                throw Failure(LibraryName, "DeflateInit2_", status);
            }
            try
            {
                status = Deflate(&stream, ZFinish);
                return FinishedLength(status, stream.AvailOut, destination.Length, LibraryName, "Deflate");
            }
            finally
            {
                _ = DeflateEnd(&stream);
            }
        }
    }

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_DeflateInit2_")]
    private static partial int DeflateInit2(PalZStream* stream, int level, int method, int windowBits, int memLevel, int strategy);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_Deflate")]
    private static partial int Deflate(PalZStream* stream, int flush);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_DeflateEnd")]
    private static partial int DeflateEnd(PalZStream* stream);
}
