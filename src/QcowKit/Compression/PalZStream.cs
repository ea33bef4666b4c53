using System.Runtime.InteropServices;

namespace QcowKit.Compression;

/// <summary>
/// The runtime's PAL_ZStream (System.IO.Compression.Native, pal_zlib.h): a reduced z_stream the
/// runtime's shim copies into and out of the real one. An internal runtime contract, guarded by a test.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct PalZStream
{
    public byte* NextIn;
    public byte* NextOut;
    public nint Message;
    public nint InternalState;
    public uint AvailIn;
    public uint AvailOut;
}
