namespace QcowKit.Format;

/// <summary>
/// A bitmap table entry: the host offset of one bitmap data cluster (bits 9-55), or, with offset 0, bit 0
/// saying whether the cluster it stands for reads as all ones (set) or all zeros (clear). Bits 1-8 and
/// 56-63 are reserved.
/// </summary>
internal readonly record struct BitmapTableEntry(ulong Raw)
{
    internal const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00UL;
    internal const ulong AllOnesFlag = 1UL;
    internal const ulong ReservedMask = 0xFF00_0000_0000_01FEUL;

    /// <summary>Host offset of the data cluster, or 0 when the cluster is not stored.</summary>
    internal long DataOffset => (long)(Raw & OffsetMask);

    /// <summary>An unstored cluster that reads as all ones.</summary>
    internal bool AllOnes => DataOffset == 0 && (Raw & AllOnesFlag) != 0;

    internal static BitmapTableEntry ForData(long dataOffset) => new((ulong)dataOffset & OffsetMask);

    /// <summary>The rule an entry breaks (qemu's check_table_entry), or null when it is valid.</summary>
    internal string? Problem(int clusterSize)
    {
        if ((Raw & ReservedMask) != 0)
        {
            return "reserved bits (1-8, 56-63) must be zero";
        }
        if (DataOffset != 0 && (Raw & AllOnesFlag) != 0)
        {
            return "bit 0 (all ones) must be clear when a data cluster offset is given";
        }
        if ((DataOffset & (clusterSize - 1)) != 0)
        {
            return $"data cluster offset {DataOffset} is not cluster-aligned";
        }
        return null;
    }
}
