namespace QcowKit.Check;

/// <summary>Bit masks of L1, L2, refcount table and bitmap table entries as qemu's qcow2.h defines them.</summary>
internal static class QcowMasks
{
    public const ulong Copied = 1UL << 63;
    public const ulong Compressed = 1UL << 62;
    public const ulong Zero = 1UL;
    public const ulong L1OffsetMask = 0x00fffffffffffe00UL;
    public const ulong L1ReservedMask = 0x7f000000000001ffUL;
    public const ulong L2OffsetMask = 0x00fffffffffffe00UL;
    public const ulong L2StandardReservedMask = 0x3f000000000001feUL;
    public const ulong RefcountTableOffsetMask = 0xfffffffffffffe00UL;
    public const ulong RefcountTableReservedMask = 0x1ffUL;
    public const ulong SubclusterAllAllocated = 0xffffffffUL;
    public const int MaxL1SizeBytes = 0x2000000;
    public const int MaxSnapshots = 65536;
    public const int SnapshotHeaderSize = 40;
    public const int MaxSnapshotExtraData = 1024;
    public const long MaxSnapshotsSize = 1024L * MaxSnapshots;
}
