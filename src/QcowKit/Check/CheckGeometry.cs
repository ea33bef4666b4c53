namespace QcowKit.Check;

/// <summary>
/// The header facts the checker works from, taken from the reader's parsed header. Derived values
/// (L2 size, refcount block size, compressed descriptor masks) follow qemu's qcow2_do_open.
/// </summary>
internal sealed record CheckGeometry
{
    public required int Version { get; init; }
    public required int ClusterBits { get; init; }
    public required ulong VirtualSize { get; init; }
    public required ulong L1TableOffset { get; init; }
    public required uint L1Size { get; init; }
    public required ulong RefcountTableOffset { get; init; }
    public required uint RefcountTableClusters { get; init; }
    public required int RefcountOrder { get; init; }
    public required uint NbSnapshots { get; init; }
    public required ulong SnapshotsOffset { get; init; }
    public required bool ExtendedL2 { get; init; }
    public required bool HasDataFile { get; init; }
    public required bool Dirty { get; init; }
    public required bool Corrupt { get; init; }
    public ulong CryptoHeaderOffset { get; init; }
    public ulong CryptoHeaderLength { get; init; }

    /// <summary>Bitmaps extension, only when the autoclear bitmaps bit is set (qemu ignores it otherwise).</summary>
    public uint NbBitmaps { get; init; }
    public ulong BitmapDirectoryOffset { get; init; }
    public ulong BitmapDirectorySize { get; init; }

    public int ClusterSize => 1 << ClusterBits;
    public int L2EntrySize => ExtendedL2 ? 16 : 8;
    public int L2Size => ClusterSize / L2EntrySize;
    public int RefcountBits => 1 << RefcountOrder;
    public int RefcountBlockBits => ClusterBits + 3 - RefcountOrder;
    public long RefcountBlockSize => 1L << RefcountBlockBits;
    public ulong RefcountMax => RefcountOrder == 6 ? ulong.MaxValue : (1UL << RefcountBits) - 1;
    public long RefcountTableSize => (long)RefcountTableClusters << (ClusterBits - 3);
    public int CompressedSizeShift => 62 - (ClusterBits - 8);
    public ulong CompressedSizeMask => (1UL << (ClusterBits - 8)) - 1;
    public ulong CompressedOffsetMask => (1UL << CompressedSizeShift) - 1;

    public long OffsetIntoCluster(ulong offset) => (long)(offset & (ulong)(ClusterSize - 1));
    public ulong StartOfCluster(ulong offset) => offset & ~(ulong)(ClusterSize - 1);
    public long SizeToClusters(ulong size) => (long)((size + (ulong)ClusterSize - 1) >> ClusterBits);
}
