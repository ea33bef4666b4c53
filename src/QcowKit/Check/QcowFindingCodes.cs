namespace QcowKit.Check;

/// <summary>
/// The stable finding codes. A code never changes meaning once released; new problems get new codes.
/// docs/finding-codes.md describes each one; the MSBuild and Cake surfaces report these codes.
/// Ranges: 01xx open and header, 02xx refcounts, 03xx L1/L2 tables, 04xx snapshots, 05xx bitmaps,
/// 06xx deep checks, 07xx untrusted-image policy, 08xx image state, 09xx validation-policy image rules.
/// </summary>
public static class QcowFindingCodes
{
    /// <summary>The header breaks a rule that stops qemu from opening the image (exit code 1).</summary>
    public const string CannotOpen = "QCOW0100";

    /// <summary>The image file could not be read or written (exit code 1).</summary>
    public const string IoError = "QCOW0101";

    /// <summary>The check itself could not complete (qemu: "Check failed"); exit code 1.</summary>
    public const string CheckFailed = "QCOW0102";

    /// <summary>Validation: the check did not complete, or counted corruptions or check errors that no error finding explains; never allowed.</summary>
    public const string CheckIncomplete = "QCOW0103";

    /// <summary>The image is not qcow2 (probed as raw, or given as raw): its format has no checks, exit code 63 as in qemu-img.</summary>
    public const string FormatWithoutChecks = "QCOW0104";

    /// <summary>A cluster's refcount is lower than the number of references to it (corruption).</summary>
    public const string RefcountTooLow = "QCOW0200";

    /// <summary>A referenced cluster has refcount 0: the refcount structure must be rebuilt (corruption).</summary>
    public const string RefcountZero = "QCOW0201";

    /// <summary>A cluster's refcount is higher than the number of references to it (leak).</summary>
    public const string Leak = "QCOW0202";

    /// <summary>More references than the refcount width can count (corruption).</summary>
    public const string RefcountOverflow = "QCOW0203";

    /// <summary>A refcount could not be read (check error).</summary>
    public const string RefcountUnreadable = "QCOW0204";

    /// <summary>A refcount table entry is not cluster aligned (corruption).</summary>
    public const string RefcountBlockUnaligned = "QCOW0210";

    /// <summary>A refcount table entry has reserved bits set (corruption).</summary>
    public const string RefcountTableReservedBits = "QCOW0211";

    /// <summary>A refcount block lies beyond the end of the file (corruption).</summary>
    public const string RefcountBlockOutsideImage = "QCOW0212";

    /// <summary>A refcount block's cluster is also used by something else (corruption).</summary>
    public const string RefcountBlockShared = "QCOW0213";

    /// <summary>Two metadata structures, or metadata and data, share a cluster (accompanies QCOW0200).</summary>
    public const string MetadataOverlap = "QCOW0220";

    /// <summary>A table entry points beyond the end of the file.</summary>
    public const string BeyondEndOfFile = "QCOW0221";

    /// <summary>An L1 entry has reserved bits set (corruption).</summary>
    public const string L1ReservedBits = "QCOW0300";

    /// <summary>An L2 table offset is not cluster aligned (corruption).</summary>
    public const string L2TableUnaligned = "QCOW0301";

    /// <summary>An L2 entry has reserved bits set (corruption).</summary>
    public const string L2ReservedBits = "QCOW0302";

    /// <summary>A data cluster offset is not cluster aligned (corruption).</summary>
    public const string DataClusterUnaligned = "QCOW0303";

    /// <summary>A preallocated zero cluster offset is not cluster aligned (corruption; -r all clears it).</summary>
    public const string PreallocatedClusterUnaligned = "QCOW0304";

    /// <summary>A compressed cluster has the COPIED flag (corruption).</summary>
    public const string CompressedCopied = "QCOW0305";

    /// <summary>A compressed cluster in an image with an external data file (corruption).</summary>
    public const string CompressedWithDataFile = "QCOW0306";

    /// <summary>A compressed cluster with a non-zero subcluster bitmap (corruption).</summary>
    public const string CompressedWithSubclusterBitmap = "QCOW0307";

    /// <summary>An extended L2 entry marks a subcluster both allocated and zero (corruption).</summary>
    public const string SubclusterAllocatedAndZero = "QCOW0308";

    /// <summary>An unallocated cluster has subcluster allocation bits (corruption).</summary>
    public const string UnallocatedWithSubclusters = "QCOW0309";

    /// <summary>An L1 entry's COPIED flag disagrees with its L2 table's refcount (corruption).</summary>
    public const string L1CopiedFlag = "QCOW0310";

    /// <summary>An L2 entry's COPIED flag disagrees with its data cluster's refcount (corruption).</summary>
    public const string L2CopiedFlag = "QCOW0311";

    /// <summary>The snapshot table lists more than 65536 snapshots (corruption).</summary>
    public const string TooManySnapshots = "QCOW0400";

    /// <summary>The snapshot table offset or size is invalid (check error).</summary>
    public const string SnapshotTableInvalid = "QCOW0401";

    /// <summary>The snapshot table cannot be read: too big or too much extra data (check error).</summary>
    public const string SnapshotTableUnreadable = "QCOW0402";

    /// <summary>A v3 snapshot table entry has less than 16 bytes of extra data (corruption).</summary>
    public const string SnapshotEntryIncomplete = "QCOW0403";

    /// <summary>A snapshot's L1 table is not cluster aligned (corruption).</summary>
    public const string SnapshotL1Unaligned = "QCOW0404";

    /// <summary>A snapshot's L1 table is too large (corruption).</summary>
    public const string SnapshotL1TooLarge = "QCOW0405";

    /// <summary>Internal snapshots in an image with an external data file (corruption).</summary>
    public const string SnapshotsWithDataFile = "QCOW0406";

    /// <summary>Repair: the snapshot table was rewritten into new clusters (as qemu-img check -r all does when the table had corruptions).</summary>
    public const string SnapshotTableRewritten = "QCOW0407";

    /// <summary>The bitmap directory cannot be loaded (check fails, exit code 1).</summary>
    public const string BitmapDirectoryInvalid = "QCOW0500";

    /// <summary>A bitmap table cannot be loaded or has an invalid entry (corruption).</summary>
    public const string BitmapTableInvalid = "QCOW0501";

    /// <summary>Deep: a compressed cluster does not decompress.</summary>
    public const string CompressedStreamInvalid = "QCOW0600";

    /// <summary>Deep: a compressed cluster decompresses to less than a whole cluster.</summary>
    public const string CompressedStreamShort = "QCOW0601";

    /// <summary>Deep: a zero-flagged L2 entry in a compat 0.10 (version 2) image, where the flag does not exist.</summary>
    public const string ZeroFlagInVersion2 = "QCOW0602";

    /// <summary>Deep: a compressed cluster's stream starts beyond the end of the file.</summary>
    public const string CompressedBeyondEndOfFile = "QCOW0603";

    /// <summary>Untrusted: the image names a backing file.</summary>
    public const string BackingFileReference = "QCOW0700";

    /// <summary>Untrusted: a backing or data file resolves outside the allowed folders.</summary>
    public const string ReferenceOutsideAllowedDirectories = "QCOW0701";

    /// <summary>Untrusted: a file name is a <c>json:</c> pseudo-name or a protocol name (<c>nbd:</c>, <c>http:</c> ...).</summary>
    public const string ProtocolFileName = "QCOW0702";

    /// <summary>Untrusted: the image names an external data file.</summary>
    public const string DataFileReference = "QCOW0703";

    /// <summary>Untrusted: the image is encrypted.</summary>
    public const string Encrypted = "QCOW0704";

    /// <summary>Untrusted: unknown feature bits are set.</summary>
    public const string UnknownFeatureBits = "QCOW0705";

    /// <summary>Untrusted, or the MaxVirtualSize rule: the virtual size exceeds the configured limit.</summary>
    public const string VirtualSizeTooLarge = "QCOW0706";

    /// <summary>Untrusted: a header extension QcowKit does not know.</summary>
    public const string UnknownHeaderExtension = "QCOW0707";

    /// <summary>The image is marked dirty (lazy refcounts were in use and it was not closed cleanly).</summary>
    public const string Dirty = "QCOW0800";

    /// <summary>The image is marked corrupt (qemu refuses to open it read-write).</summary>
    public const string MarkedCorrupt = "QCOW0801";

    /// <summary>MaxFileSize rule: the image file is larger than the limit.</summary>
    public const string FileSizeTooLarge = "QCOW0900";

    /// <summary>RequiredCompat rule: the header version is not the required one.</summary>
    public const string CompatMismatch = "QCOW0901";

    /// <summary>RequiredCompressionType rule: the compression type is not the required one.</summary>
    public const string CompressionTypeMismatch = "QCOW0902";

    /// <summary>RequiredClusterSize rule: the cluster size is not the required one.</summary>
    public const string ClusterSizeMismatch = "QCOW0903";

    /// <summary>NoSnapshots rule: the image has internal snapshots.</summary>
    public const string HasSnapshots = "QCOW0904";

    /// <summary>NoBitmaps rule: the image has persistent dirty bitmaps.</summary>
    public const string HasBitmaps = "QCOW0905";
}
