namespace QcowKit.Fixtures;

/// <summary>
/// The corruption catalogue: precise edits applied to a built image. Each kind names what it breaks;
/// <see cref="CorruptionCatalogue"/> describes it and gives its expected verdict.
/// </summary>
public enum Corruption
{
    /// <summary>An extra cluster at the end of the file has refcount 1 but nothing references it.</summary>
    Leak,

    /// <summary>A data cluster's refcount is 0.</summary>
    RefcountZero,

    /// <summary>A data cluster shared with a snapshot has refcount 1 instead of 2 (needs a snapshot).</summary>
    RefcountTooLow,

    /// <summary>A data cluster's refcount is one more than its references.</summary>
    RefcountTooHigh,

    /// <summary>An L2 table's refcount is 0.</summary>
    L2TableRefcountZero,

    /// <summary>A refcount block's own refcount is 0.</summary>
    RefcountBlockRefcountZero,

    /// <summary>Two L2 entries point at the same data cluster (refcount 1, two references).</summary>
    DoubleReference,

    /// <summary>An active L1 entry's L2 table offset is not cluster-aligned.</summary>
    L1EntryUnaligned,

    /// <summary>An active L1 entry points past the end of the file.</summary>
    L1EntryBeyondEof,

    /// <summary>An active L1 entry has reserved bits (1..8) set.</summary>
    L1EntryReservedBits,

    /// <summary>An L2 entry's host offset is not cluster-aligned.</summary>
    L2EntryUnaligned,

    /// <summary>An L2 entry points past the end of the file.</summary>
    L2EntryBeyondEof,

    /// <summary>An L2 entry has reserved bits (1..8) set.</summary>
    L2EntryReservedBits,

    /// <summary>A refcount table entry is not cluster-aligned.</summary>
    RefcountTableEntryUnaligned,

    /// <summary>A refcount table entry points past the end of the file.</summary>
    RefcountTableEntryBeyondEof,

    /// <summary>A refcount table entry has reserved bits set.</summary>
    RefcountTableEntryReservedBits,

    /// <summary>l1_table_offset is 0: the L1 table overlaps the header.</summary>
    L1TableOverlapsHeader,

    /// <summary>An active L1 entry points at a refcount block: an L2 table overlaps refcount metadata.</summary>
    L2TableOverlapsRefcountBlock,

    /// <summary>Two active L1 entries point at the same L2 table.</summary>
    L2TableOverlapsL2Table,

    /// <summary>An L2 entry points at the L1 table: guest data overlaps the L1 table.</summary>
    DataOverlapsL1Table,

    /// <summary>An L2 entry points at the refcount table.</summary>
    DataOverlapsRefcountTable,

    /// <summary>An active L1 entry lacks COPIED although its L2 table's refcount is 1.</summary>
    L1CopiedMissing,

    /// <summary>An L2 entry lacks COPIED although its data cluster's refcount is 1.</summary>
    L2CopiedMissing,

    /// <summary>An L2 entry has COPIED although its data cluster is shared with a snapshot (needs a snapshot).</summary>
    CopiedOnSharedCluster,

    /// <summary>A compressed cluster descriptor's offset is past the end of the file (needs compression).</summary>
    CompressedOffsetBeyondEof,

    /// <summary>A compressed cluster descriptor's sector count runs past the end of the file (needs compression).</summary>
    CompressedSizeBeyondEof,

    /// <summary>A compressed stream is overwritten with bytes that do not decompress (needs compression).</summary>
    CompressedGarbageStream,

    /// <summary>The file is cut in the middle of its last data cluster.</summary>
    TruncatedData,

    /// <summary>snapshots_offset is not cluster-aligned (needs a snapshot).</summary>
    SnapshotTableUnaligned,

    /// <summary>nb_snapshots claims more entries than the file holds (needs a snapshot).</summary>
    SnapshotTableBeyondEof,

    /// <summary>A snapshot's L1 table offset is not cluster-aligned (needs a snapshot).</summary>
    SnapshotL1TableUnaligned,

    /// <summary>A snapshot's L1 size exceeds qemu's 32 MiB limit (needs a snapshot).</summary>
    SnapshotL1SizeTooLarge,

    /// <summary>A snapshot's extra_data_size exceeds 1024 (needs a snapshot).</summary>
    SnapshotExtraDataTooLarge,

    /// <summary>bitmap_directory_offset is not cluster-aligned (needs a bitmap).</summary>
    BitmapDirectoryUnaligned,

    /// <summary>A bitmap's granularity_bits is out of range (needs a bitmap).</summary>
    BitmapGranularityInvalid,

    /// <summary>A bitmap's table offset is not cluster-aligned (needs a bitmap).</summary>
    BitmapTableUnaligned,

    /// <summary>A bitmap table entry has reserved bits set (needs a bitmap).</summary>
    BitmapTableEntryReservedBits,

    /// <summary>A bitmap table's refcount is 0 (needs a bitmap).</summary>
    BitmapTableRefcountZero,

    /// <summary>An extended L2 entry marks a subcluster both allocated and zero (needs extended L2).</summary>
    ExtendedL2AllocatedAndZero,

    /// <summary>An L2 entry of a version 2 image has the zero flag (needs version 2).</summary>
    ZeroFlagOnVersion2,

    /// <summary>The magic is not "QFI\xfb".</summary>
    BadMagic,

    /// <summary>version is 4.</summary>
    UnsupportedVersion,

    /// <summary>cluster_bits is 8.</summary>
    ClusterBitsTooSmall,

    /// <summary>cluster_bits is 22.</summary>
    ClusterBitsTooLarge,

    /// <summary>header_length is 100 (below 104) in a version 3 image.</summary>
    HeaderLengthTooSmall,

    /// <summary>header_length exceeds the cluster size.</summary>
    HeaderLengthBeyondCluster,

    /// <summary>l1_size is smaller than the virtual size needs.</summary>
    L1SizeTooSmall,

    /// <summary>l1_table_offset is not cluster-aligned.</summary>
    L1TableUnaligned,

    /// <summary>refcount_table_offset is not cluster-aligned.</summary>
    RefcountTableUnaligned,

    /// <summary>refcount_table_clusters is 0.</summary>
    RefcountTableClustersZero,

    /// <summary>An unknown incompatible feature bit (bit 40) is set.</summary>
    UnknownIncompatibleBit,

    /// <summary>compression_type is 2 (unknown) with the compression type bit set.</summary>
    CompressionTypeUnknown,

    /// <summary>The compression type bit is set while compression_type is deflate.</summary>
    CompressionTypeBitWithDeflate,

    /// <summary>refcount_order is 7.</summary>
    RefcountOrderTooLarge,

    /// <summary>A header extension's length runs past the first cluster.</summary>
    ExtensionLengthTooLarge,

    /// <summary>backing_file_offset lies beyond the first cluster.</summary>
    BackingFileOffsetBeyondCluster,

    /// <summary>crypt_method is 3.</summary>
    CryptMethodInvalid,

    /// <summary>An L2 entry's host offset is 0, the header cluster: qemu reads it as unallocated (iotest 060).</summary>
    DataOverlapsHeader,

    /// <summary>An L2 entry points at the first refcount block (iotest 060).</summary>
    DataOverlapsRefcountBlock,

    /// <summary>An L2 entry points at its own L2 table.</summary>
    DataOverlapsL2Table,

    /// <summary>An active L1 entry points at the L1 table (iotest 060).</summary>
    L2TableOverlapsL1Table,

    /// <summary>An active L1 entry points at the refcount table (iotest 060).</summary>
    L2TableOverlapsRefcountTable,

    /// <summary>refcount_table_clusters is one more than written, so the refcount table runs into the next cluster (iotest 060).</summary>
    RefcountTableGrowsIntoData,

    /// <summary>l1_table_offset is past the end of the file.</summary>
    L1TableBeyondEof,

    /// <summary>refcount_table_offset is past the end of the file.</summary>
    RefcountTableBeyondEof,

    /// <summary>l1_size exceeds qemu's 32 MiB L1 limit (iotest 080).</summary>
    L1SizeTooLarge,

    /// <summary>A snapshot's L1 table lies past the end of the file (needs a snapshot; iotest 080).</summary>
    SnapshotL1TableBeyondEof,

    /// <summary>A snapshot's l1_size is 0 while the active L1 table has entries: inconsistent L1 sizes (needs a snapshot).</summary>
    SnapshotL1SizeZero,

    /// <summary>snapshots_offset is 0: the header is read as the snapshot table (needs a snapshot).</summary>
    SnapshotTableOverlapsHeader,

    /// <summary>nb_snapshots exceeds qemu's limit of 65536 (needs a snapshot; iotest 080).</summary>
    TooManySnapshots,

    /// <summary>bitmap_directory_size exceeds qemu's 64 MiB limit (needs a bitmap).</summary>
    BitmapDirectorySizeTooLarge,

    /// <summary>bitmap_directory_size is 8, shorter than one directory entry (needs a bitmap).</summary>
    BitmapDirectorySizeTooSmall,

    /// <summary>The first bitmap's name_size is 0 (needs a bitmap).</summary>
    BitmapNameSizeZero,

    /// <summary>The bitmaps extension's nb_bitmaps is 0 (needs a bitmap).</summary>
    BitmapsExtensionWithoutBitmaps,

    /// <summary>An extended L2 entry shared with a snapshot marks a subcluster allocated and zero (needs extended L2 and a snapshot; iotest 271).</summary>
    ExtendedL2AllocatedAndZeroInSnapshot,

    /// <summary>A compressed cluster's extended L2 entry has subcluster bits set (needs extended L2 and compression; iotest 271).</summary>
    ExtendedL2CompressedWithBitmap,

    /// <summary>backing_file_size is 1024, past qemu's 1023-byte limit.</summary>
    BackingFileNameTooLong,
}
