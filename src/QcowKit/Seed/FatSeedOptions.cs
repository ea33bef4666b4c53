namespace QcowKit.Seed;

/// <summary>A directory tree written as a FAT file system, optionally inside a partition table.</summary>
public sealed class FatSeedOptions
{
    /// <summary>The folder whose contents become the root of the file system.</summary>
    public required string SourceDirectory { get; init; }

    /// <summary>FAT16, FAT32, or chosen from the volume size like mkfs.fat.</summary>
    public FatFileSystemType FileSystem { get; init; } = FatFileSystemType.Auto;

    /// <summary>Volume label, up to 11 characters valid in a short name; stored upper case. Null: no label ("NO NAME").</summary>
    public string? Label { get; init; }

    /// <summary>Partition table around the file system.</summary>
    public PartitionTableType PartitionTable { get; init; } = PartitionTableType.None;

    /// <summary>
    /// Byte-identical output for the same input: fixed timestamps (<see cref="Timestamp"/> or 1980-01-01),
    /// and volume serial number and GPT GUIDs derived from <see cref="ReproducibleSeed"/>.
    /// </summary>
    public bool Reproducible { get; init; }

    /// <summary>
    /// A fixed timestamp for every entry (stored as given, to 2-second precision). Null: each file's last write
    /// time in UTC, or 1980-01-01 00:00:00 in reproducible mode.
    /// </summary>
    public DateTime? Timestamp { get; init; }

    /// <summary>Text the serial number and GUIDs are derived from in reproducible mode. Null: the label.</summary>
    public string? ReproducibleSeed { get; init; }
}
