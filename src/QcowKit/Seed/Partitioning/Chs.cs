namespace QcowKit.Seed.Partitioning;

/// <summary>
/// Cylinder/head/sector values for BIOS-era fields: the BPB's geometry and the MBR's CHS addresses. Nothing
/// modern reads them, but fdisk and mtools compare them, so they follow the usual conventions.
/// </summary>
internal static class Chs
{
    /// <summary>Sectors per track and heads for a disk of this many sectors, as mkfs.fat picks them for image files.</summary>
    public static (ushort SectorsPerTrack, ushort Heads) Geometry(long sectors) =>
        sectors < 262_144 ? ((ushort)32, (ushort)Math.Clamp(sectors / 32 / 1024 * 2, 2, 16)) : ((ushort)63, (ushort)255);

    /// <summary>The 3-byte CHS form of an LBA with 255 heads and 63 sectors per track, saturating at 1023/254/63.</summary>
    public static void Write(Span<byte> destination, long lba)
    {
        const int Heads = 255;
        const int SectorsPerTrack = 63;
        var cylinder = lba / (Heads * SectorsPerTrack);
        int head, sector;
        if (cylinder > 1023)
        {
            cylinder = 1023;
            head = 254;
            sector = 63;
        }
        else
        {
            head = (int)(lba / SectorsPerTrack % Heads);
            sector = (int)(lba % SectorsPerTrack) + 1;
        }
        destination[0] = (byte)head;
        destination[1] = (byte)(sector | (int)((cylinder >> 2) & 0xC0));
        destination[2] = (byte)cylinder;
    }
}
