using System.Diagnostics.CodeAnalysis;

namespace QcowKit.Seed;

/// <summary>The names every surface accepts for a FAT variant and a partition table, in any letter case.</summary>
public static class SeedNames
{
    /// <summary>Parses <c>auto</c>, <c>fat16</c> or <c>fat32</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <param name="fileSystem">The FAT variant, when the name is one.</param>
    /// <returns>Whether the name is one of the three.</returns>
    public static bool TryParseFileSystem([NotNullWhen(true)] string? name, out FatFileSystemType fileSystem)
    {
        (var ok, fileSystem) = name?.ToUpperInvariant() switch
        {
            "AUTO" => (true, FatFileSystemType.Auto),
            "FAT16" => (true, FatFileSystemType.Fat16),
            "FAT32" => (true, FatFileSystemType.Fat32),
            _ => (false, FatFileSystemType.Auto),
        };
        return ok;
    }

    /// <summary>Parses <c>auto</c>, <c>fat16</c> or <c>fat32</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <returns>The FAT variant.</returns>
    /// <exception cref="QcowOptionsException">Any other name.</exception>
    public static FatFileSystemType ParseFileSystem(string name) =>
        TryParseFileSystem(name, out var fileSystem) ? fileSystem : throw new QcowOptionsException($"'{name}' is not a file system: expected auto, fat16 or fat32");

    /// <summary>Parses <c>none</c>, <c>mbr</c> or <c>gpt</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <param name="partitionTable">The partition table, when the name is one.</param>
    /// <returns>Whether the name is one of the three.</returns>
    public static bool TryParsePartitionTable([NotNullWhen(true)] string? name, out PartitionTableType partitionTable)
    {
        (var ok, partitionTable) = name?.ToUpperInvariant() switch
        {
            "NONE" => (true, PartitionTableType.None),
            "MBR" => (true, PartitionTableType.Mbr),
            "GPT" => (true, PartitionTableType.Gpt),
            _ => (false, PartitionTableType.None),
        };
        return ok;
    }

    /// <summary>Parses <c>none</c>, <c>mbr</c> or <c>gpt</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <returns>The partition table.</returns>
    /// <exception cref="QcowOptionsException">Any other name.</exception>
    public static PartitionTableType ParsePartitionTable(string name) =>
        TryParsePartitionTable(name, out var table) ? table : throw new QcowOptionsException($"'{name}' is not a partition table: expected none, mbr or gpt");
}
