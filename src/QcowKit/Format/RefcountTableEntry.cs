namespace QcowKit.Format;

/// <summary>A refcount table entry: host offset of a refcount block (bits 9-63); bits 0-8 are reserved.</summary>
internal readonly record struct RefcountTableEntry(ulong Raw)
{
    internal const ulong OffsetMask = ~0x1FFUL;
    internal const ulong ReservedMask = 0x1FFUL;

    /// <summary>Host offset of the refcount block, or 0 when unallocated.</summary>
    internal long RefcountBlockOffset => (long)(Raw & OffsetMask);

    internal bool HasReservedBits => (Raw & ReservedMask) != 0;

    internal static RefcountTableEntry Create(long blockOffset) => new((ulong)blockOffset & OffsetMask);
}
