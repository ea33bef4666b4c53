namespace QcowKit.Seed.Fat;

/// <summary>A file or folder to be written, with its names already decided.</summary>
internal abstract class FatNode
{
    protected FatNode(string name, DateTime timestamp)
    {
        Name = name;
        Timestamp = FatTimestamp.From(timestamp);
    }

    /// <summary>The long (display) name.</summary>
    public string Name { get; }

    public FatTimestamp Timestamp { get; }

    /// <summary>The 11-byte short name, set when the parent folder assigns names.</summary>
    public byte[] ShortName { get; set; } = [];

    /// <summary>True when the long name differs from the short name and needs VFAT entries.</summary>
    public bool NeedsLongName { get; set; }

    /// <summary>First data cluster, or 0 (empty file, FAT16 root).</summary>
    public uint FirstCluster { get; set; }

    public int EntryCount => 1 + (NeedsLongName ? FatLongNameEntry.EntryCount(Name) : 0);
}

/// <summary>A file whose bytes are streamed from a source when the volume is written.</summary>
internal sealed class FatFile : FatNode
{
    public FatFile(string name, DateTime timestamp, long length, Func<Stream> open, string origin) : base(name, timestamp)
    {
        Length = length;
        Open = open;
        Origin = origin;
    }

    public long Length { get; }

    public Func<Stream> Open { get; }

    /// <summary>Where the bytes come from, for error messages.</summary>
    public string Origin { get; }
}

/// <summary>A folder; its children are sorted by ordinal name so the output is deterministic.</summary>
internal sealed class FatDirectory : FatNode
{
    public FatDirectory(string name, DateTime timestamp, string path) : base(name, timestamp)
    {
        Path = path;
    }

    /// <summary>Path inside the volume ("/" for the root), for error messages.</summary>
    public string Path { get; }

    public List<FatNode> Children { get; } = [];

    public int ClusterCount { get; set; }

    /// <summary>Directory entries this folder holds: dot entries (or the label), long name and short entries.</summary>
    public int EntriesNeeded(bool isRoot, bool hasLabel) =>
        (isRoot ? (hasLabel ? 1 : 0) : 2) + Children.Sum(static c => c.EntryCount);

    /// <summary>
    /// Sorts the children and gives each a short name: exact 8.3 names first (so they keep their name), then
    /// generated ones with numeric tails. Fails on names FAT cannot hold and on names equal but for case.
    /// </summary>
    public void AssignNames()
    {
        Children.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in Children)
        {
            var problem = FatLongNameEntry.Problem(child.Name);
            if (problem is not null)
            {
                throw new SeedException($"'{Combine(child.Name)}' cannot be stored on FAT: {problem}.");
            }
            if (!seen.TryAdd(child.Name, child.Name))
            {
                throw new SeedException(
                    $"'{Combine(seen[child.Name])}' and '{Combine(child.Name)}' differ only in case; FAT names are case-insensitive.");
            }
        }
        if (Children.Count > 65536 - 2)
        {
            throw new SeedException($"'{Path}' has {Children.Count} entries; a FAT folder holds at most 65534.");
        }

        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var child in Children)
        {
            var exact = FatShortName.AsExactShortName(child.Name);
            if (exact is not null && taken.Add(exact))
            {
                child.ShortName = FatShortName.ToBytes(exact);
            }
        }
        foreach (var child in Children)
        {
            if (child.ShortName.Length != 0) continue;
            child.ShortName = FatShortName.ToBytes(FatShortName.Generate(child.Name, taken));
            child.NeedsLongName = true;
        }
        if (EntriesNeeded(Path == "/", hasLabel: true) > 65536)
        {
            throw new SeedException($"'{Path}' needs more than 65536 directory entries (long names take several); FAT allows 65536 per folder.");
        }
    }

    private string Combine(string name) => Path == "/" ? "/" + name : Path + "/" + name;
}
