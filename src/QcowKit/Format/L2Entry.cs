namespace QcowKit.Format;

/// <summary>
/// An L2 table entry: the 64-bit cluster descriptor, plus for extended L2 entries the 64-bit
/// subcluster bitmap (bits 0-31 allocated, bits 32-63 reads-as-zero).
/// </summary>
public readonly record struct L2Entry(ulong Raw, ulong Bitmap)
{
    /// <summary>Bit 63, COPIED: the cluster's refcount is exactly one.</summary>
    public const ulong CopiedFlag = 1UL << 63;
    /// <summary>Bit 62: the entry is a compressed cluster descriptor.</summary>
    public const ulong CompressedFlag = 1UL << 62;
    /// <summary>Bit 0 of a standard entry (version 3): the cluster reads as zeros.</summary>
    public const ulong ZeroFlag = 1UL;
    /// <summary>Host cluster offset bits (9-55) of a standard entry.</summary>
    public const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00UL;

    /// <summary>Reserved bits of a standard (uncompressed) descriptor: 1-8 and 56-61.</summary>
    internal const ulong StandardReservedMask = 0x3F00_0000_0000_01FEUL;
    /// <summary>The allocation half (bits 0-31) of an extended entry's subcluster bitmap.</summary>
    public const ulong AllAllocatedMask = 0xFFFF_FFFFUL;

    internal bool Copied => (Raw & CopiedFlag) != 0;
    internal bool IsCompressed => (Raw & CompressedFlag) != 0;

    /// <summary>Host cluster offset of a standard descriptor (meaningless for compressed entries).</summary>
    public long HostOffset => (long)(Raw & OffsetMask);

    /// <summary>Whether subcluster <paramref name="index"/> is marked allocated in an extended entry's bitmap.</summary>
    /// <param name="bitmap">The subcluster bitmap.</param>
    /// <param name="index">Subcluster index 0..31.</param>
    public static bool SubclusterAllocated(ulong bitmap, int index) => (bitmap & (1UL << index)) != 0;

    internal static bool SubclusterZero(ulong bitmap, int index) => (bitmap & (1UL << (32 + index))) != 0;

    /// <summary>Classifies one subcluster (index 0 for standard entries), as qemu's qcow2_get_subcluster_type.</summary>
    /// <param name="index">Subcluster index 0..31 (ignored without extended L2).</param>
    /// <param name="extendedL2">The image has the extended L2 incompatible bit.</param>
    /// <param name="externalDataFile">The image has an external data file, where host offset 0 is valid if COPIED is set.</param>
    public SubclusterType Classify(int index, bool extendedL2, bool externalDataFile)
    {
        if (IsCompressed)
        {
            return SubclusterType.Compressed;
        }
        var hasOffset = HostOffset != 0 || (externalDataFile && Copied);
        if (!extendedL2)
        {
            if ((Raw & ZeroFlag) != 0)
            {
                return HostOffset != 0 ? SubclusterType.ZeroAlloc : SubclusterType.ZeroPlain;
            }
            return hasOffset ? SubclusterType.Normal : SubclusterType.UnallocatedPlain;
        }
        if (hasOffset)
        {
            if (((Bitmap >> 32) & Bitmap & AllAllocatedMask) != 0)
            {
                return SubclusterType.Invalid;
            }
            if (SubclusterZero(Bitmap, index))
            {
                return SubclusterType.ZeroAlloc;
            }
            return SubclusterAllocated(Bitmap, index) ? SubclusterType.Normal : SubclusterType.UnallocatedAlloc;
        }
        if ((Bitmap & AllAllocatedMask) != 0)
        {
            return SubclusterType.Invalid;
        }
        return SubclusterZero(Bitmap, index) ? SubclusterType.ZeroPlain : SubclusterType.UnallocatedPlain;
    }

    /// <summary>The compressed cluster descriptor of a compressed entry.</summary>
    public CompressedClusterDescriptor Compressed(int clusterBits) => CompressedClusterDescriptor.FromEntry(Raw, clusterBits);

    /// <summary>A standard (uncompressed) entry.</summary>
    /// <param name="hostOffset">Cluster-aligned host offset of the data.</param>
    /// <param name="copied">Sets COPIED.</param>
    /// <param name="zero">Sets the zero flag.</param>
    public static L2Entry Standard(long hostOffset, bool copied, bool zero = false) =>
        new(((ulong)hostOffset & OffsetMask) | (copied ? CopiedFlag : 0) | (zero ? ZeroFlag : 0), 0);
}
