namespace QcowKit.Format;

/// <summary>Byte positions of the qcow2 header fields (docs/interop/qcow2.txt, "Header").</summary>
public static class HeaderFieldOffsets
{
    /// <summary>magic, "QFI\xfb" (4 bytes).</summary>
    public const int Magic = 0;
    /// <summary>version (4 bytes).</summary>
    public const int Version = 4;
    /// <summary>backing_file_offset (8 bytes).</summary>
    public const int BackingFileOffset = 8;
    /// <summary>backing_file_size (4 bytes).</summary>
    public const int BackingFileSize = 16;
    /// <summary>cluster_bits (4 bytes).</summary>
    public const int ClusterBits = 20;
    /// <summary>size, the virtual disk size (8 bytes).</summary>
    public const int Size = 24;
    /// <summary>crypt_method (4 bytes).</summary>
    public const int CryptMethod = 32;
    /// <summary>l1_size (4 bytes).</summary>
    public const int L1Size = 36;
    /// <summary>l1_table_offset (8 bytes).</summary>
    public const int L1TableOffset = 40;
    /// <summary>refcount_table_offset (8 bytes).</summary>
    public const int RefcountTableOffset = 48;
    /// <summary>refcount_table_clusters (4 bytes).</summary>
    public const int RefcountTableClusters = 56;
    /// <summary>nb_snapshots (4 bytes).</summary>
    public const int NbSnapshots = 60;
    /// <summary>snapshots_offset (8 bytes).</summary>
    public const int SnapshotsOffset = 64;

    /// <summary>End of the version 2 header; version 3 fields follow.</summary>
    public const int Version2HeaderLength = 72;

    /// <summary>incompatible_features, version 3 (8 bytes).</summary>
    public const int IncompatibleFeatures = 72;
    /// <summary>compatible_features, version 3 (8 bytes).</summary>
    public const int CompatibleFeatures = 80;
    /// <summary>autoclear_features, version 3 (8 bytes).</summary>
    public const int AutoclearFeatures = 88;
    /// <summary>refcount_order, version 3 (4 bytes).</summary>
    public const int RefcountOrder = 96;
    /// <summary>header_length, version 3 (4 bytes).</summary>
    public const int HeaderLength = 100;

    /// <summary>Smallest valid version 3 header_length (no compression_type field).</summary>
    public const int Version3MinimumHeaderLength = 104;

    /// <summary>compression_type, version 3 with header_length of at least 105 (1 byte).</summary>
    public const int CompressionType = 104;

    /// <summary>header_length qemu writes: compression_type plus 7 bytes of padding to a multiple of 8.</summary>
    public const int Version3HeaderLength = 112;
}
