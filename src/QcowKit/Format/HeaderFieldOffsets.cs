namespace QcowKit.Format;

/// <summary>Byte positions of the qcow2 header fields (docs/interop/qcow2.txt, "Header").</summary>
internal static class HeaderFieldOffsets
{
    internal const int Magic = 0;
    internal const int Version = 4;
    internal const int BackingFileOffset = 8;
    internal const int BackingFileSize = 16;
    internal const int ClusterBits = 20;
    internal const int Size = 24;
    internal const int CryptMethod = 32;
    internal const int L1Size = 36;
    internal const int L1TableOffset = 40;
    internal const int RefcountTableOffset = 48;
    internal const int RefcountTableClusters = 56;
    internal const int NbSnapshots = 60;
    internal const int SnapshotsOffset = 64;

    /// <summary>End of the version 2 header; version 3 fields follow.</summary>
    internal const int Version2HeaderLength = 72;

    internal const int IncompatibleFeatures = 72;
    internal const int CompatibleFeatures = 80;
    internal const int AutoclearFeatures = 88;
    internal const int RefcountOrder = 96;
    internal const int HeaderLength = 100;

    /// <summary>Smallest valid version 3 header_length (no compression_type field).</summary>
    internal const int Version3MinimumHeaderLength = 104;

    internal const int CompressionType = 104;

    /// <summary>header_length qemu writes: compression_type plus 7 bytes of padding to a multiple of 8.</summary>
    internal const int Version3HeaderLength = 112;
}
