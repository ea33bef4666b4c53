namespace QcowKit.Format;

/// <summary>A refcount table entry: host offset of a refcount block (bits 9-63); bits 0-8 are reserved.</summary>
public readonly record struct RefcountTableEntry(ulong Raw)
{
    internal const ulong OffsetMask = ~0x1FFUL;
    internal const ulong ReservedMask = 0x1FFUL;

    /// <summary>Host offset of the refcount block, or 0 when unallocated.</summary>
    public long RefcountBlockOffset => (long)(Raw & OffsetMask);

    internal bool HasReservedBits => (Raw & ReservedMask) != 0;

    /// <summary>An entry pointing at the refcount block at <paramref name="blockOffset"/>.</summary>
    /// <param name="blockOffset">Cluster-aligned host offset of the refcount block.</param>
    public static RefcountTableEntry Create(long blockOffset) => new((ulong)blockOffset & OffsetMask);
}
