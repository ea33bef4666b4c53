using System.Buffers.Binary;

namespace QcowKit.Seed.Fat;

/// <summary>The FAT32 FSInfo sector: free cluster count and next-free hint between three signatures.</summary>
internal static class FatFsInfo
{
    private const int LeadSignatureOffset = 0;
    private const int StructSignatureOffset = 484;
    private const int FreeCountOffset = 488;
    private const int NextFreeOffset = 492;
    private const int TrailSignatureOffset = 508;

    public static void Write(Span<byte> sector, uint freeClusters, uint nextFree)
    {
        sector[..FatGeometry.SectorSize].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(sector[LeadSignatureOffset..], 0x41615252);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[StructSignatureOffset..], 0x61417272);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[FreeCountOffset..], freeClusters);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[NextFreeOffset..], nextFree);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[TrailSignatureOffset..], 0xAA550000);
    }
}
