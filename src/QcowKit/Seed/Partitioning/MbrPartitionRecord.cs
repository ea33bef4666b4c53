using System.Buffers.Binary;

namespace QcowKit.Seed.Partitioning;

/// <summary>
/// The master boot record (LBA 0): boot code, 32-bit disk signature at 440, four 16-byte partition records at
/// 446 (status, CHS start, type, CHS end, LBA start, sector count) and 0x55AA at 510. Only one record is used.
/// </summary>
internal static class MbrPartitionRecord
{
    internal const byte TypeFat16Lba = 0x0E;
    internal const byte TypeFat32Lba = 0x0C;
    internal const byte TypeGptProtective = 0xEE;

    private const int DiskSignatureOffset = 440;
    private const int FirstRecordOffset = 446;
    private const int StatusDelta = 0;
    private const int ChsStartDelta = 1;
    private const int TypeDelta = 4;
    private const int ChsEndDelta = 5;
    private const int LbaStartDelta = 8;
    private const int SectorCountDelta = 12;

    public static void Write(Span<byte> sector, byte type, uint firstLba, uint sectorCount, uint diskSignature)
    {
        sector[..512].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(sector[DiskSignatureOffset..], diskSignature);
        var record = sector.Slice(FirstRecordOffset, 16);
        record[StatusDelta] = 0x00;
        if (type == TypeGptProtective)
        {
            // UEFI: the protective record starts at CHS 0/0/2 and ends at the last addressable CHS.
            record[ChsStartDelta] = 0x00;
            record[ChsStartDelta + 1] = 0x02;
            record[ChsStartDelta + 2] = 0x00;
        }
        else
        {
            Chs.Write(record[ChsStartDelta..], firstLba);
        }
        record[TypeDelta] = type;
        Chs.Write(record[ChsEndDelta..], (long)firstLba + sectorCount - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(record[LbaStartDelta..], firstLba);
        BinaryPrimitives.WriteUInt32LittleEndian(record[SectorCountDelta..], sectorCount);
        sector[510] = 0x55;
        sector[511] = 0xAA;
    }
}
