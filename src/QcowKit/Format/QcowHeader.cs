namespace QcowKit.Format;

/// <summary>
/// The qcow2 header (first cluster of the file): the fixed fields, the header extensions and the
/// backing file name. Field names follow docs/interop/qcow2.txt. Parsing and validation live in
/// QcowHeader.Read.cs, serialization in QcowHeader.Write.cs.
/// </summary>
public sealed partial class QcowHeader
{
    /// <summary>version: 2 or 3.</summary>
    public uint Version { get; set; } = 3;
    /// <summary>File offset of the backing file name, or 0 (the spec's <c>backing_file_offset</c>); <see cref="Write"/> sets it.</summary>
    public ulong BackingFileOffset { get; internal set; }
    internal uint BackingFileSize { get; set; }
    /// <summary>cluster_bits: log2 of the cluster size (9..21).</summary>
    public int ClusterBits { get; set; } = 16;

    /// <summary>Virtual disk size in bytes (the spec's <c>size</c>).</summary>
    public ulong Size { get; set; }
    internal uint CryptMethod { get; set; }
    /// <summary>l1_size: entries of the active L1 table.</summary>
    public uint L1Size { get; set; }
    /// <summary>l1_table_offset: file offset of the active L1 table.</summary>
    public ulong L1TableOffset { get; set; }
    /// <summary>refcount_table_offset: file offset of the refcount table.</summary>
    public ulong RefcountTableOffset { get; set; }
    /// <summary>refcount_table_clusters: clusters the refcount table occupies.</summary>
    public uint RefcountTableClusters { get; set; }
    /// <summary>nb_snapshots: entries of the snapshot table.</summary>
    public uint NbSnapshots { get; set; }
    /// <summary>snapshots_offset: file offset of the snapshot table.</summary>
    public ulong SnapshotsOffset { get; set; }
    /// <summary>incompatible_features (version 3; unknown bits kept as they are).</summary>
    public IncompatibleFeatures IncompatibleFeatures { get; set; }
    /// <summary>compatible_features (version 3).</summary>
    public CompatibleFeatures CompatibleFeatures { get; set; }
    /// <summary>autoclear_features (version 3).</summary>
    public AutoclearFeatures AutoclearFeatures { get; set; }
    /// <summary>refcount_order: refcounts are 2^refcount_order bits wide (4, 16 bits, for version 2).</summary>
    public int RefcountOrder { get; set; } = 4;

    /// <summary>header_length as read (72 for v2); Write computes it.</summary>
    public uint HeaderLength { get; internal set; } = HeaderFieldOffsets.Version3HeaderLength;
    /// <summary>compression_type (version 3; deflate when the field is absent).</summary>
    public CompressionType CompressionType { get; set; }

    /// <summary>Header bytes past the fields this library knows (header_length beyond 112), kept for rewrites.</summary>
    internal byte[] UnknownHeaderFields { get; set; } = [];

    /// <summary>The backing file name as stored (not resolved), or null.</summary>
    public string? BackingFile { get; set; }

    /// <summary>Backing file format extension, or null when absent.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>External data file name extension, or null when absent.</summary>
    public string? ExternalDataFile { get; set; }

    /// <summary>The feature name table extension's entries; empty when the image has none.</summary>
    public List<FeatureNameTableEntry> FeatureNameTable { get; set; } = [];
    /// <summary>The bitmaps extension, or null when absent.</summary>
    public BitmapsExtension? Bitmaps { get; set; }
    internal FullDiskEncryptionExtension? FullDiskEncryption { get; set; }
    internal List<HeaderExtension> UnknownExtensions { get; set; } = [];

    /// <summary>Cluster size in bytes.</summary>
    public int ClusterSize => 1 << ClusterBits;
    internal long ClusterOffsetMask => ClusterSize - 1;
    /// <summary>The extended L2 incompatible bit is set (16-byte L2 entries with 32 subclusters).</summary>
    public bool HasExtendedL2 => (IncompatibleFeatures & IncompatibleFeatures.ExtendedL2) != 0;
    /// <summary>The external data file incompatible bit is set.</summary>
    public bool HasExternalDataFile => (IncompatibleFeatures & IncompatibleFeatures.ExternalDataFile) != 0;
    internal bool DataFileIsRaw => (AutoclearFeatures & AutoclearFeatures.RawExternalData) != 0;
    internal bool IsDirty => (IncompatibleFeatures & IncompatibleFeatures.Dirty) != 0;
    internal bool IsCorrupt => (IncompatibleFeatures & IncompatibleFeatures.Corrupt) != 0;
    internal bool HasLazyRefcounts => (CompatibleFeatures & CompatibleFeatures.LazyRefcounts) != 0;

    /// <summary>Bytes per L2 entry: 8, or 16 with extended L2.</summary>
    public int L2EntrySize => HasExtendedL2 ? 16 : 8;

    /// <summary>L2 entries per L2 table (one cluster).</summary>
    public int L2Entries => ClusterSize / L2EntrySize;

    /// <summary>log2 of the guest bytes one L2 table maps.</summary>
    internal int L2Bits => ClusterBits - (HasExtendedL2 ? 4 : 3);

    /// <summary>32 with extended L2 entries, else 1.</summary>
    public int SubclustersPerCluster => HasExtendedL2 ? QcowLimits.SubclustersPerCluster : 1;
    /// <summary>Bytes per subcluster (the cluster size without extended L2).</summary>
    public int SubclusterSize => ClusterSize / SubclustersPerCluster;

    internal int RefcountBits => 1 << RefcountOrder;

    /// <summary>Refcount entries per refcount block (one cluster).</summary>
    public long RefcountBlockEntries => (long)ClusterSize * 8 / RefcountBits;

    /// <summary>Entries of the refcount table.</summary>
    internal long RefcountTableEntries => (long)RefcountTableClusters * ClusterSize / 8;

    /// <summary>L1 entries needed to map <see cref="Size"/> bytes (qemu's size_to_l1).</summary>
    public ulong RequiredL1Entries => RequiredL1EntriesFor(Size, ClusterBits, L2Bits);

    /// <summary>L1 entries needed to map <paramref name="size"/> guest bytes (qemu's size_to_l1).</summary>
    /// <param name="size">Virtual disk size in bytes.</param>
    /// <param name="clusterBits">cluster_bits.</param>
    /// <param name="l2Bits">log2 of the entries per L2 table: cluster_bits - 3, or - 4 with extended L2.</param>
    public static ulong RequiredL1EntriesFor(ulong size, int clusterBits, int l2Bits)
    {
        var shift = clusterBits + l2Bits;
        return (size >> shift) + ((size & ((1UL << shift) - 1)) != 0 ? 1UL : 0UL);
    }

    /// <summary>"0.10" for version 2, "1.1" for version 3, as qemu-img info prints it.</summary>
    internal string Compat => Version == 2 ? "0.10" : "1.1";
}
