using System.Runtime.InteropServices;

namespace QcowKit.Compression;

/// <summary>
/// zlib's z_stream as zlib.h lays it out. uLong is <see cref="CULong"/> so the layout is right on
/// both LP64 (112 bytes) and LLP64; deflateInit2_ checks the size we pass against its own.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ZStream
{
    public byte* NextIn;
    public uint AvailIn;
    public CULong TotalIn;
    public byte* NextOut;
    public uint AvailOut;
    public CULong TotalOut;
    public nint Message;
    public nint State;
    public nint ZAlloc;
    public nint ZFree;
    public nint Opaque;
    public int DataType;
    public CULong Adler;
    public CULong Reserved;
}
