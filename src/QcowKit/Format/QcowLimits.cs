namespace QcowKit.Format;

/// <summary>Limits from the qcow2 specification and the ones qemu enforces when it opens an image.</summary>
public static class QcowLimits
{
    /// <summary>The header magic, "QFI\xfb".</summary>
    public const uint Magic = 0x514649FB; // "QFI\xfb"
    internal const int MinClusterBits = 9;
    internal const int MaxClusterBits = 21;

    /// <summary>qemu's QCOW_MAX_L1_SIZE: 32 MiB of L1 entries.</summary>
    public const long MaxL1SizeBytes = 32L * 1024 * 1024;

    /// <summary>qemu's QCOW_MAX_REFTABLE_SIZE: 8 MiB of refcount table.</summary>
    internal const long MaxRefcountTableBytes = 8L * 1024 * 1024;

    /// <summary>qemu's QCOW_MAX_SNAPSHOTS.</summary>
    internal const int MaxSnapshots = 65536;

    /// <summary>qemu's QCOW_MAX_SNAPSHOT_EXTRA_DATA.</summary>
    internal const int MaxSnapshotExtraData = 1024;

    /// <summary>qemu's QCOW_MAX_SNAPSHOTS_SIZE: the whole snapshot table.</summary>
    internal const long MaxSnapshotTableBytes = 1024L * MaxSnapshots;

    /// <summary>qemu's QCOW2_MAX_BITMAPS.</summary>
    internal const int MaxBitmaps = 65535;

    /// <summary>qemu's QCOW2_MAX_BITMAP_DIRECTORY_SIZE.</summary>
    internal const long MaxBitmapDirectorySize = 1024L * MaxBitmaps;

    /// <summary>qemu's BME_MAX_NAME_SIZE.</summary>
    internal const int MaxBitmapNameSize = 1023;

    /// <summary>qemu's BME_MAX_GRANULARITY_BITS and BME_MIN_GRANULARITY_BITS.</summary>
    internal const int MaxBitmapGranularityBits = 31;
    internal const int MinBitmapGranularityBits = 9;

    /// <summary>qemu reads the backing file name into a 1024-byte buffer.</summary>
    internal const int MaxBackingFileNameLength = 1023;

    /// <summary>qemu's backing_format buffer is 16 bytes including the terminator.</summary>
    internal const int MaxBackingFormatLength = 15;

    /// <summary>Subclusters per cluster with extended L2 entries.</summary>
    public const int SubclustersPerCluster = 32;

    /// <summary>Compressed cluster sizes are counted in 512-byte sectors.</summary>
    public const int CompressedSectorSize = 512;

    internal const int SnapshotHeaderSize = 40;
    internal const int BitmapDirectoryEntryHeaderSize = 24;
    internal const int FeatureNameEntrySize = 48;
    internal const int FeatureNameLength = 46;
}
