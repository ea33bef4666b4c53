using System.Buffers.Binary;
using System.Text;

namespace QcowKit.Seed.Partitioning;

/// <summary>
/// The 92-byte GPT header (UEFI 2.x, 5.3.2) in its own sector: signature "EFI PART", revision 1.0, its own
/// CRC32 (computed with the field zeroed), its LBA and the other copy's, the usable range, the disk GUID and
/// where the entry array is, with the array's CRC32.
/// </summary>
internal static class GptHeader
{
    internal const int Size = 92;

    private const int SignatureOffset = 0;
    private const int RevisionOffset = 8;
    private const int HeaderSizeOffset = 12;
    private const int HeaderCrcOffset = 16;
    private const int MyLbaOffset = 24;
    private const int AlternateLbaOffset = 32;
    private const int FirstUsableOffset = 40;
    private const int LastUsableOffset = 48;
    private const int DiskGuidOffset = 56;
    private const int EntriesLbaOffset = 72;
    private const int EntryCountOffset = 80;
    private const int EntrySizeOffset = 84;
    private const int EntriesCrcOffset = 88;

    public static void Write(Span<byte> sector, long myLba, long alternateLba, long firstUsable, long lastUsable, Guid disk,
        long entriesLba, uint entriesCrc)
    {
        sector[..512].Clear();
        Encoding.ASCII.GetBytes("EFI PART").CopyTo(sector[SignatureOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[RevisionOffset..], 0x00010000);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[HeaderSizeOffset..], Size);
        BinaryPrimitives.WriteInt64LittleEndian(sector[MyLbaOffset..], myLba);
        BinaryPrimitives.WriteInt64LittleEndian(sector[AlternateLbaOffset..], alternateLba);
        BinaryPrimitives.WriteInt64LittleEndian(sector[FirstUsableOffset..], firstUsable);
        BinaryPrimitives.WriteInt64LittleEndian(sector[LastUsableOffset..], lastUsable);
        disk.TryWriteBytes(sector[DiskGuidOffset..]);
        BinaryPrimitives.WriteInt64LittleEndian(sector[EntriesLbaOffset..], entriesLba);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[EntryCountOffset..], GptPartitionEntry.EntryCount);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[EntrySizeOffset..], GptPartitionEntry.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[EntriesCrcOffset..], entriesCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[HeaderCrcOffset..], Crc32.Compute(sector[..Size]));
    }
}
