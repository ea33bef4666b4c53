namespace QcowKit.Format;

/// <summary>An L1 table entry: the host offset of an L2 table (bits 9-55) and the COPIED flag (bit 63).</summary>
public readonly record struct L1Entry(ulong Raw)
{
    internal const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00UL;
    /// <summary>Bit 63, COPIED: the L2 table's refcount is exactly one.</summary>
    public const ulong CopiedFlag = 1UL << 63;
    internal const ulong ReservedMask = 0x7F00_0000_0000_01FFUL;

    /// <summary>Host offset of the L2 table, or 0 when the whole range is unallocated.</summary>
    public long L2TableOffset => (long)(Raw & OffsetMask);

    /// <summary>The L2 table's refcount is exactly one (it may be written in place).</summary>
    internal bool Copied => (Raw & CopiedFlag) != 0;

    internal bool HasReservedBits => (Raw & ReservedMask) != 0;

    /// <summary>An entry pointing at the L2 table at <paramref name="l2TableOffset"/>.</summary>
    /// <param name="l2TableOffset">Cluster-aligned host offset of the L2 table.</param>
    /// <param name="copied">Sets COPIED.</param>
    public static L1Entry Create(long l2TableOffset, bool copied) =>
        new(((ulong)l2TableOffset & OffsetMask) | (copied ? CopiedFlag : 0));
}
