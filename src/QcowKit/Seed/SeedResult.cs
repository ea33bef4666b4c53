namespace QcowKit.Seed;

/// <summary>What one seeding run wrote.</summary>
public sealed class SeedResult
{
    internal SeedResult(long diskSize, long bytesWritten, long bytesSkipped)
    {
        DiskSize = diskSize;
        BytesWritten = bytesWritten;
        BytesSkipped = bytesSkipped;
    }

    /// <summary>Size of the guest disk in bytes.</summary>
    public long DiskSize { get; }

    /// <summary>Bytes actually written to the target.</summary>
    public long BytesWritten { get; }

    /// <summary>Bytes of content that were zero and left unwritten (sparse).</summary>
    public long BytesSkipped { get; }

    /// <summary>The FAT variant written, or null when no file system was written.</summary>
    public FatFileSystemType? FileSystem { get; internal init; }

    /// <summary>Cluster size of the file system in bytes, or 0.</summary>
    public int ClusterSize { get; internal init; }

    /// <summary>Byte offset of the file system on the disk (the partition start), or 0.</summary>
    public long FileSystemOffset { get; internal init; }

    /// <summary>Number of files written into the file system.</summary>
    public int FileCount { get; internal init; }

    /// <summary>Number of folders written into the file system (the root not counted).</summary>
    public int DirectoryCount { get; internal init; }
}
