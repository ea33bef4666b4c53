using QcowKit.Format;

namespace QcowKit.Image;

/// <summary>
/// A stretch of guest bytes with one mapping: same subcluster type and, for host-backed types,
/// contiguous host offsets. Never crosses an L2 table; a compressed run never crosses its cluster.
/// </summary>
/// <param name="GuestOffset">Start of the run in the guest disk.</param>
/// <param name="Length">Bytes in the run.</param>
/// <param name="Type">How the run reads.</param>
/// <param name="HostOffset">Host offset of <paramref name="GuestOffset"/> for Normal, ZeroAlloc and UnallocatedAlloc runs, else 0.</param>
/// <param name="Compressed">The descriptor of a Compressed run.</param>
/// <param name="L2Entry">The raw L2 entry of the run's first cluster (0 when the L1 entry is empty).</param>
internal readonly record struct GuestRun(long GuestOffset, long Length, SubclusterType Type, long HostOffset,
    CompressedClusterDescriptor Compressed, ulong L2Entry);
