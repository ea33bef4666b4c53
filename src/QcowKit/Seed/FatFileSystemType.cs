namespace QcowKit.Seed;

/// <summary>Which FAT variant to format.</summary>
public enum FatFileSystemType
{
    /// <summary>Choose like mkfs.fat: FAT32 from 512 MiB up, FAT16 below.</summary>
    Auto = 0,

    /// <summary>FAT16 (4085 to 65524 clusters: roughly 2 MiB to 4 GiB).</summary>
    Fat16 = 16,

    /// <summary>FAT32 (at least 65525 clusters: roughly 33 MiB and up).</summary>
    Fat32 = 32,
}
