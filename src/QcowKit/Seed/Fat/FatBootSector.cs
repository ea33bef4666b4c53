using System.Buffers.Binary;
using System.Text;
using QcowKit.Seed.Partitioning;

namespace QcowKit.Seed.Fat;

/// <summary>
/// The boot sector with its BIOS parameter block: the common part (offsets 0..35), then the FAT16 extended
/// BPB at 36 or the FAT32 one (FAT size, root cluster, FSInfo and backup sectors) at 36..89.
/// </summary>
internal static class FatBootSector
{
    internal const int Fat32FsInfoSector = 1;
    internal const int Fat32BackupBootSector = 6;

    private const int OemNameOffset = 3;
    private const int BytesPerSectorOffset = 11;
    private const int SectorsPerClusterOffset = 13;
    private const int ReservedSectorsOffset = 14;
    private const int FatCountOffset = 16;
    private const int RootEntriesOffset = 17;
    private const int TotalSectors16Offset = 19;
    private const int MediaOffset = 21;
    private const int FatSize16Offset = 22;
    private const int SectorsPerTrackOffset = 24;
    private const int HeadsOffset = 26;
    private const int HiddenSectorsOffset = 28;
    private const int TotalSectors32Offset = 32;

    private const int Fat32FatSizeOffset = 36;
    private const int Fat32RootClusterOffset = 44;
    private const int Fat32FsInfoOffset = 48;
    private const int Fat32BackupBootOffset = 50;
    private const int Fat32ExtendedOffset = 64;
    private const int Fat16ExtendedOffset = 36;

    // Within the extended part: drive number, reserved, signature 0x29, serial, label, type string.
    private const int DriveNumberDelta = 0;
    private const int BootSignatureDelta = 2;
    private const int SerialDelta = 3;
    private const int LabelDelta = 7;
    private const int TypeDelta = 18;
    private const int ExtendedLength = 26;

    internal const byte Media = 0xF8;

    public static void Write(Span<byte> sector, FatGeometry geometry, uint serial, string label, uint hiddenSectors)
    {
        sector[..FatGeometry.SectorSize].Clear();
        var fat32 = geometry.Type == FatFileSystemType.Fat32;
        var extended = fat32 ? Fat32ExtendedOffset : Fat16ExtendedOffset;
        var bootCode = extended + ExtendedLength;

        // A short jump over the BPB to code that asks the BIOS to try the next boot device (int 18h) and halts.
        sector[0] = 0xEB;
        sector[1] = (byte)(bootCode - 2);
        sector[2] = 0x90;
        ReadOnlySpan<byte> code = [0xCD, 0x18, 0xF4, 0xEB, 0xFD];
        code.CopyTo(sector[bootCode..]);

        Encoding.ASCII.GetBytes("QCOWKIT ").CopyTo(sector[OemNameOffset..]);
        BinaryPrimitives.WriteUInt16LittleEndian(sector[BytesPerSectorOffset..], FatGeometry.SectorSize);
        sector[SectorsPerClusterOffset] = (byte)geometry.SectorsPerCluster;
        BinaryPrimitives.WriteUInt16LittleEndian(sector[ReservedSectorsOffset..], (ushort)geometry.ReservedSectors);
        sector[FatCountOffset] = FatGeometry.FatCount;
        BinaryPrimitives.WriteUInt16LittleEndian(sector[RootEntriesOffset..], (ushort)geometry.RootEntries);
        if (geometry.VolumeSectors < 65536 && !fat32)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(sector[TotalSectors16Offset..], (ushort)geometry.VolumeSectors);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(sector[TotalSectors32Offset..], (uint)geometry.VolumeSectors);
        }
        sector[MediaOffset] = Media;
        var (sectorsPerTrack, heads) = Chs.Geometry(geometry.VolumeSectors);
        BinaryPrimitives.WriteUInt16LittleEndian(sector[SectorsPerTrackOffset..], sectorsPerTrack);
        BinaryPrimitives.WriteUInt16LittleEndian(sector[HeadsOffset..], heads);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[HiddenSectorsOffset..], hiddenSectors);

        if (fat32)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(sector[Fat32FatSizeOffset..], (uint)geometry.FatSectors);
            BinaryPrimitives.WriteUInt32LittleEndian(sector[Fat32RootClusterOffset..], 2);
            BinaryPrimitives.WriteUInt16LittleEndian(sector[Fat32FsInfoOffset..], Fat32FsInfoSector);
            BinaryPrimitives.WriteUInt16LittleEndian(sector[Fat32BackupBootOffset..], Fat32BackupBootSector);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(sector[FatSize16Offset..], (ushort)geometry.FatSectors);
        }

        sector[extended + DriveNumberDelta] = 0x80;
        sector[extended + BootSignatureDelta] = 0x29;
        BinaryPrimitives.WriteUInt32LittleEndian(sector[(extended + SerialDelta)..], serial);
        Encoding.ASCII.GetBytes(label.PadRight(11)).CopyTo(sector[(extended + LabelDelta)..]);
        Encoding.ASCII.GetBytes(fat32 ? "FAT32   " : "FAT16   ").CopyTo(sector[(extended + TypeDelta)..]);
        sector[510] = 0x55;
        sector[511] = 0xAA;
    }
}
