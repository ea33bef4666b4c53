using System.Buffers.Binary;

namespace QcowKit.Seed.Fat;

/// <summary>The 32-byte short directory entry (fatgen103, "FAT Directory Structure").</summary>
internal static class FatDirectoryEntry
{
    internal const int Size = 32;

    internal const byte AttributeReadOnly = 0x01;
    internal const byte AttributeVolumeId = 0x08;
    internal const byte AttributeDirectory = 0x10;
    internal const byte AttributeArchive = 0x20;
    internal const byte AttributeLongName = 0x0F;

    private const int NameOffset = 0;
    private const int AttributeOffset = 11;
    private const int CreationTenthsOffset = 13;
    private const int CreationTimeOffset = 14;
    private const int CreationDateOffset = 16;
    private const int AccessDateOffset = 18;
    private const int FirstClusterHighOffset = 20;
    private const int WriteTimeOffset = 22;
    private const int WriteDateOffset = 24;
    private const int FirstClusterLowOffset = 26;
    private const int FileSizeOffset = 28;

    public static void Write(Span<byte> entry, ReadOnlySpan<byte> shortName, byte attributes, FatTimestamp time,
        uint firstCluster, uint fileSize)
    {
        entry[..Size].Clear();
        shortName[..FatShortName.Length].CopyTo(entry[NameOffset..]);
        entry[AttributeOffset] = attributes;
        entry[CreationTenthsOffset] = time.Tenths;
        BinaryPrimitives.WriteUInt16LittleEndian(entry[CreationTimeOffset..], time.Time);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[CreationDateOffset..], time.Date);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[AccessDateOffset..], time.Date);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[FirstClusterHighOffset..], (ushort)(firstCluster >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(entry[WriteTimeOffset..], time.Time);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[WriteDateOffset..], time.Date);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[FirstClusterLowOffset..], (ushort)firstCluster);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[FileSizeOffset..], fileSize);
    }
}
