namespace QcowKit.Format;

/// <summary>
/// The qcow2 header (first cluster of the file): the fixed fields, the header extensions and the
/// backing file name. Field names follow docs/interop/qcow2.txt. Parsing and validation live in
/// QcowHeader.Read.cs, serialization in QcowHeader.Write.cs.
/// </summary>
internal sealed partial class QcowHeader
{
    internal uint Version { get; set; } = 3;
    internal ulong BackingFileOffset { get; set; }
    internal uint BackingFileSize { get; set; }
    internal int ClusterBits { get; set; } = 16;

    /// <summary>Virtual disk size in bytes (the spec's <c>size</c>).</summary>
    internal ulong Size { get; set; }
    internal uint CryptMethod { get; set; }
    internal uint L1Size { get; set; }
    internal ulong L1TableOffset { get; set; }
    internal ulong RefcountTableOffset { get; set; }
    internal uint RefcountTableClusters { get; set; }
    internal uint NbSnapshots { get; set; }
    internal ulong SnapshotsOffset { get; set; }
    internal IncompatibleFeatures IncompatibleFeatures { get; set; }
    internal CompatibleFeatures CompatibleFeatures { get; set; }
    internal AutoclearFeatures AutoclearFeatures { get; set; }
    internal int RefcountOrder { get; set; } = 4;

    /// <summary>header_length as read (72 for v2); Write computes it.</summary>
    internal uint HeaderLength { get; set; } = HeaderFieldOffsets.Version3HeaderLength;
    internal CompressionType CompressionType { get; set; }

    /// <summary>Header bytes past the fields this library knows (header_length beyond 112), kept for rewrites.</summary>
    internal byte[] UnknownHeaderFields { get; set; } = [];

    /// <summary>The backing file name as stored (not resolved), or null.</summary>
    internal string? BackingFile { get; set; }

    /// <summary>Backing file format extension, or null when absent.</summary>
    internal string? BackingFormat { get; set; }

    /// <summary>External data file name extension, or null when absent.</summary>
    internal string? ExternalDataFile { get; set; }

    internal List<FeatureNameTableEntry> FeatureNameTable { get; set; } = [];
    internal BitmapsExtension? Bitmaps { get; set; }
    internal FullDiskEncryptionExtension? FullDiskEncryption { get; set; }
    internal List<HeaderExtension> UnknownExtensions { get; set; } = [];

    internal int ClusterSize => 1 << ClusterBits;
    internal long ClusterOffsetMask => ClusterSize - 1;
    internal bool HasExtendedL2 => (IncompatibleFeatures & IncompatibleFeatures.ExtendedL2) != 0;
    internal bool HasExternalDataFile => (IncompatibleFeatures & IncompatibleFeatures.ExternalDataFile) != 0;
    internal bool DataFileIsRaw => (AutoclearFeatures & AutoclearFeatures.RawExternalData) != 0;
    internal bool IsDirty => (IncompatibleFeatures & IncompatibleFeatures.Dirty) != 0;
    internal bool IsCorrupt => (IncompatibleFeatures & IncompatibleFeatures.Corrupt) != 0;
    internal bool HasLazyRefcounts => (CompatibleFeatures & CompatibleFeatures.LazyRefcounts) != 0;

    /// <summary>Bytes per L2 entry: 8, or 16 with extended L2.</summary>
    internal int L2EntrySize => HasExtendedL2 ? 16 : 8;

    /// <summary>L2 entries per L2 table (one cluster).</summary>
    internal int L2Entries => ClusterSize / L2EntrySize;

    /// <summary>log2 of the guest bytes one L2 table maps.</summary>
    internal int L2Bits => ClusterBits - (HasExtendedL2 ? 4 : 3);

    internal int SubclustersPerCluster => HasExtendedL2 ? QcowLimits.SubclustersPerCluster : 1;
    internal int SubclusterSize => ClusterSize / SubclustersPerCluster;

    internal int RefcountBits => 1 << RefcountOrder;

    /// <summary>Refcount entries per refcount block (one cluster).</summary>
    internal long RefcountBlockEntries => (long)ClusterSize * 8 / RefcountBits;

    /// <summary>Entries of the refcount table.</summary>
    internal long RefcountTableEntries => (long)RefcountTableClusters * ClusterSize / 8;

    /// <summary>L1 entries needed to map <see cref="Size"/> bytes (qemu's size_to_l1).</summary>
    internal ulong RequiredL1Entries => RequiredL1EntriesFor(Size, ClusterBits, L2Bits);

    internal static ulong RequiredL1EntriesFor(ulong size, int clusterBits, int l2Bits)
    {
        var shift = clusterBits + l2Bits;
        return (size >> shift) + ((size & ((1UL << shift) - 1)) != 0 ? 1UL : 0UL);
    }

    /// <summary>"0.10" for version 2, "1.1" for version 3, as qemu-img info prints it.</summary>
    internal string Compat => Version == 2 ? "0.10" : "1.1";
}
