namespace QcowKit.Seed;

/// <summary>What surrounds a seeded file system on the disk.</summary>
public enum PartitionTableType
{
    /// <summary>No partition table: the file system starts at byte 0 (a "superfloppy", as cloud-localds makes).</summary>
    None = 0,

    /// <summary>An MBR with one partition starting at 1 MiB, type 0x0C (FAT32 LBA) or 0x0E (FAT16 LBA).</summary>
    Mbr = 1,

    /// <summary>A protective MBR plus primary and backup GPT with one Microsoft basic data partition starting at 1 MiB.</summary>
    Gpt = 2,
}
