namespace QcowKit.Seed.Fat;

/// <summary>Reads a source folder (or a list of files) into the tree a FAT volume is written from.</summary>
internal static class FatTreeBuilder
{
    internal const long MaxFileLength = uint.MaxValue;

    /// <summary>Scans <paramref name="source"/> recursively; names are checked and assigned before returning.</summary>
    public static FatDirectory FromDirectory(string source, DateTime? fixedTimestamp)
    {
        var info = new DirectoryInfo(source);
        if (!info.Exists) throw new SeedException($"Source folder '{source}' does not exist.");
        var root = new FatDirectory(string.Empty, fixedTimestamp ?? info.LastWriteTimeUtc, "/");
        try
        {
            Fill(root, info, fixedTimestamp);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException and not SeedException)
        {
            throw new SeedException($"Cannot read the source folder '{source}': {ex.Message}", ex);
        }
        return root;
    }

    /// <summary>A root folder holding exactly the given files.</summary>
    public static FatDirectory FromFiles(IEnumerable<FatFile> files, DateTime rootTimestamp)
    {
        var root = new FatDirectory(string.Empty, rootTimestamp, "/");
        root.Children.AddRange(files);
        root.AssignNames();
        return root;
    }

    /// <summary>A file node for a file on disk, following a symbolic link to its target.</summary>
    public static FatFile FileFromDisk(string name, string path, DateTime? fixedTimestamp)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
        {
            info = target;
        }
        if (!info.Exists) throw new SeedException($"'{path}' does not exist or is not a file.");
        if (info.Length > MaxFileLength)
        {
            throw new SeedException($"'{path}' is {info.Length} bytes; a FAT file holds at most {MaxFileLength} bytes (4 GiB - 1).");
        }
        var fullName = info.FullName;
        return new FatFile(name, fixedTimestamp ?? info.LastWriteTimeUtc, info.Length, () => OpenSource(fullName), path);
    }

    private static FileStream OpenSource(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);

    private static void Fill(FatDirectory directory, DirectoryInfo source, DateTime? fixedTimestamp)
    {
        foreach (var entry in source.EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo child)
            {
                if (child.LinkTarget is not null)
                {
                    throw new SeedException($"'{child.FullName}' is a symbolic link to a folder; FAT has no links and following it could loop.");
                }
                var path = directory.Path == "/" ? "/" + child.Name : directory.Path + "/" + child.Name;
                var node = new FatDirectory(child.Name, fixedTimestamp ?? child.LastWriteTimeUtc, path);
                directory.Children.Add(node);
                Fill(node, child, fixedTimestamp);
            }
            else
            {
                directory.Children.Add(FileFromDisk(entry.Name, entry.FullName, fixedTimestamp));
            }
        }
        directory.AssignNames();
    }
}
