namespace QcowKit.Format;

/// <summary>
/// The descriptor of a compressed cluster inside an L2 entry. With x = 62 - (cluster_bits - 8),
/// bits 0..x-1 are the host byte offset and bits x..61 the number of additional 512-byte sectors.
/// </summary>
public readonly record struct CompressedClusterDescriptor(long HostOffset, int SectorCount)
{
    /// <summary>Bit where the sector count starts.</summary>
    internal static int SizeShift(int clusterBits) => 62 - (clusterBits - 8);

    /// <summary>Largest value of the descriptor's sector-count field (additional sectors) for <paramref name="clusterBits"/>.</summary>
    /// <param name="clusterBits">The image's cluster_bits.</param>
    public static long SizeMask(int clusterBits) => (1L << (clusterBits - 8)) - 1;

    internal static long OffsetMask(int clusterBits) => (1L << SizeShift(clusterBits)) - 1;

    /// <summary>Bytes from <see cref="HostOffset"/> that may hold the stream (to the end of its last sector), as qemu reads them.</summary>
    public int CompressedSize => SectorCount * QcowLimits.CompressedSectorSize - (int)(HostOffset & (QcowLimits.CompressedSectorSize - 1));

    /// <summary>Decodes the descriptor of a compressed L2 entry.</summary>
    /// <param name="entry">The raw L2 entry (compressed flag set).</param>
    /// <param name="clusterBits">The image's cluster_bits.</param>
    public static CompressedClusterDescriptor FromEntry(ulong entry, int clusterBits)
    {
        var shift = SizeShift(clusterBits);
        var offset = (long)entry & OffsetMask(clusterBits);
        var sectors = (int)(((long)(entry >> shift) & SizeMask(clusterBits)) + 1);
        return new CompressedClusterDescriptor(offset, sectors);
    }

    /// <summary>Describes a stream of <paramref name="compressedBytes"/> at <paramref name="hostOffset"/>.</summary>
    public static CompressedClusterDescriptor ForStream(long hostOffset, int compressedBytes)
    {
        var end = hostOffset + compressedBytes - 1;
        var sectors = (int)((end / QcowLimits.CompressedSectorSize) - (hostOffset / QcowLimits.CompressedSectorSize) + 1);
        return new CompressedClusterDescriptor(hostOffset, sectors);
    }

    /// <summary>The L2 entry (compressed flag set, COPIED clear) for this descriptor.</summary>
    public ulong ToEntry(int clusterBits)
    {
        if (HostOffset < 0 || HostOffset > OffsetMask(clusterBits))
        {
            throw new InvalidOperationException($"Compressed cluster offset {HostOffset} does not fit the descriptor.");
        }
        if (SectorCount < 1 || SectorCount - 1 > SizeMask(clusterBits))
        {
            throw new InvalidOperationException($"Compressed sector count {SectorCount} does not fit the descriptor.");
        }
        return L2Entry.CompressedFlag | ((ulong)(SectorCount - 1) << SizeShift(clusterBits)) | (ulong)HostOffset;
    }
}
