using Microsoft.Win32.SafeHandles;
using QcowKit.Image.Files;
using QcowKit.Image.Locking;

namespace QcowKit.Image;

/// <summary>A raw disk image: the file's bytes are the guest disk. Used as a backing file or a conversion source.</summary>
public sealed class RawImage : IVirtualDisk
{
    private readonly HandleHostFile _file;

    private RawImage(string fileName, string fullPath, SafeFileHandle handle)
    {
        FileName = fileName;
        FullPath = fullPath;
        _file = new HandleHostFile(handle);
        // qemu's raw driver sees whole 512-byte sectors: the last partial sector reads as zeros past EOF.
        VirtualSize = (_file.Length + 511) & ~511L;
    }

    /// <summary>Opens a raw image read-only, holding qemu's read lock (others may still write it, as with qemu-img map).</summary>
    public static RawImage Open(string path) => Open(path, ImageLockMode.ReadShared);

    /// <summary>Opens a raw image read-only with the qemu image locks <paramref name="lockMode"/> stands for.</summary>
    /// <exception cref="QcowImageLockedException">Another process holds the file in a conflicting way.</exception>
    public static RawImage Open(string path, ImageLockMode lockMode)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var handle = LockedFile.Open(fullPath, path, FileAccess.Read, lockMode);
        return new RawImage(path, fullPath, handle);
    }

    /// <summary>
    /// Creates a raw image of <paramref name="size"/> bytes that reads as zeros (a sparse file), as <c>qemu-img create
    /// -f raw</c> does, all-or-nothing: an existing file of that name is replaced only once the new one is complete.
    /// </summary>
    public static void Create(string path, long size)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        using var file = Files.IncompleteFile.Begin(path);
        try
        {
            using (var handle = File.OpenHandle(file.TemporaryPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
            {
                HostFiles.SetLength(handle, path, size);
            }
            file.Commit(flushToDisk: false);
        }
        catch (IOException ex) when (file.NameDestination(ex) is var named && !ReferenceEquals(named, ex))
        {
            throw named;
        }
    }

    /// <inheritdoc />
    public string FileName { get; }

    /// <summary>The absolute path of the file.</summary>
    public string FullPath { get; }

    /// <inheritdoc />
    public string FormatName => "raw";

    /// <inheritdoc />
    public long VirtualSize { get; }

    /// <inheritdoc />
    public void Read(long offset, Span<byte> destination)
    {
        QcowImage.CheckRange(offset, destination.Length, VirtualSize);
        _file.ReadPadded(destination, offset);
    }

    /// <inheritdoc />
    public Stream OpenStream() => new VirtualDiskStream(this);

    /// <inheritdoc />
    public IEnumerable<AllocationRange> GetAllocationMap(long start, long length)
    {
        QcowImage.CheckRange(start, length, VirtualSize);
        return AllocationRange.Merge(Enumerate(start, length));
    }

    private IEnumerable<AllocationRange> Enumerate(long start, long length)
    {
        var end = start + length;
        for (var at = start; at < end;)
        {
            var (hole, size) = HostFileExtents.Probe(_file, at, end - at, VirtualSize);
            yield return new AllocationRange(at, size, 0, true, hole, !hole, at, false, FileName);
            at += size;
        }
    }

    /// <summary>The identity of the open file (device and inode), for the refusal to write an input.</summary>
    internal Files.FileIdentity? Identity => Files.FileIdentity.Of(_file.OsHandle);

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
