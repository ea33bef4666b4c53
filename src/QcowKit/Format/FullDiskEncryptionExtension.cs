using System.Buffers.Binary;

namespace QcowKit.Format;

/// <summary>The full disk encryption header pointer extension (16 bytes): where the LUKS header lives.</summary>
internal readonly record struct FullDiskEncryptionExtension(ulong Offset, ulong Length)
{
    internal const int Size = 16;

    internal static FullDiskEncryptionExtension Read(ReadOnlySpan<byte> data, long dataOffset, int clusterSize)
    {
        if (data.Length != Size)
        {
            throw new QcowFormatException("full disk encryption extension length", dataOffset - 4, $"must be {Size} bytes, is {data.Length}");
        }
        var extension = new FullDiskEncryptionExtension(BinaryPrimitives.ReadUInt64BigEndian(data), BinaryPrimitives.ReadUInt64BigEndian(data[8..]));
        if ((extension.Offset & (ulong)(clusterSize - 1)) != 0)
        {
            throw new QcowFormatException("encryption header offset", dataOffset, $"{extension.Offset} is not a multiple of the cluster size {clusterSize}");
        }
        return extension;
    }

    internal void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Offset);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Length);
    }
}
