using System.Buffers.Binary;

namespace QcowKit.Format;

/// <summary>The bitmaps header extension (24 bytes): where the bitmap directory is and how many bitmaps it holds.</summary>
public readonly record struct BitmapsExtension(uint NbBitmaps, ulong BitmapDirectorySize, ulong BitmapDirectoryOffset)
{
    internal const int Size = 24;

    /// <summary>Parses and validates the extension as qemu's qcow2_read_extensions does.</summary>
    /// <param name="data">The extension body.</param>
    /// <param name="dataOffset">File offset of the body, for error messages.</param>
    /// <param name="clusterSize">The image's cluster size.</param>
    internal static BitmapsExtension Read(ReadOnlySpan<byte> data, long dataOffset, int clusterSize)
    {
        if (data.Length != Size)
        {
            throw new QcowFormatException("bitmaps extension length", dataOffset - 4, $"must be {Size} bytes, is {data.Length}");
        }
        var reserved = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        if (reserved != 0)
        {
            throw new QcowFormatException("bitmaps extension reserved32", dataOffset + 4, "reserved field must be zero");
        }
        var extension = new BitmapsExtension(
            BinaryPrimitives.ReadUInt32BigEndian(data),
            BinaryPrimitives.ReadUInt64BigEndian(data[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(data[16..]));
        if (extension.NbBitmaps > QcowLimits.MaxBitmaps)
        {
            throw new QcowFormatException("nb_bitmaps", dataOffset, $"{extension.NbBitmaps} bitmaps exceed the maximum of {QcowLimits.MaxBitmaps}");
        }
        if (extension.NbBitmaps == 0)
        {
            throw new QcowFormatException("nb_bitmaps", dataOffset, "a bitmaps extension must list at least one bitmap");
        }
        if ((extension.BitmapDirectoryOffset & (ulong)(clusterSize - 1)) != 0)
        {
            throw new QcowFormatException("bitmap_directory_offset", dataOffset + 16, $"{extension.BitmapDirectoryOffset} is not aligned to the cluster size {clusterSize}");
        }
        if (extension.BitmapDirectorySize > QcowLimits.MaxBitmapDirectorySize)
        {
            throw new QcowFormatException("bitmap_directory_size", dataOffset + 8, $"{extension.BitmapDirectorySize} exceeds the maximum of {QcowLimits.MaxBitmapDirectorySize}");
        }
        return extension;
    }

    internal void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, NbBitmaps);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], BitmapDirectorySize);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], BitmapDirectoryOffset);
    }
}
