using Microsoft.Win32.SafeHandles;

namespace QcowKit.Cli.Images;

/// <summary>A raw disk: the file's bytes are the guest's, holes read as zeroes.</summary>
internal sealed class RawDiskImage : DiskImage
{
    private const int SectorSize = 512;

    private readonly SafeFileHandle _handle;
    private readonly long _fileLength;

    private RawDiskImage(string path, SafeFileHandle handle) : base(path, "raw")
    {
        _handle = handle;
        _fileLength = RandomAccess.GetLength(handle);
        // qemu's block layer counts whole sectors: a 6-byte file is a 512-byte disk.
        VirtualSize = (_fileLength + SectorSize - 1) / SectorSize * SectorSize;
    }

    public static RawDiskImage Open(string path) =>
        new(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));

    public override long VirtualSize { get; }

    public override void Read(long offset, Span<byte> buffer)
    {
        var inFile = (int)Math.Clamp(_fileLength - offset, 0, buffer.Length);
        var done = 0;
        while (done < inFile)
        {
            var read = RandomAccess.Read(_handle, buffer[done..inFile], offset + done);
            if (read == 0) break;
            done += read;
        }
        buffer[done..].Clear();
    }

    public override BlockStatus GetBlockStatus(long offset, long maxLength)
    {
        var end = offset + maxLength;
        if (offset >= _fileLength)
        {
            return new BlockStatus(maxLength, Present: true, Zero: true, Data: false, offset, 0, Path);
        }
        var extent = HostFile.FindExtent(_handle, offset, _fileLength);
        if (extent is not { } found)
        {
            return new BlockStatus(maxLength, true, false, true, offset, 0, Path);
        }
        // A data extent that ends inside the last partial sector is rounded up, as in file-posix.
        var extentEnd = found.IsData ? (found.End + SectorSize - 1) / SectorSize * SectorSize : found.End;
        var length = Math.Max(1, Math.Min(end, extentEnd) - offset);
        return new BlockStatus(length, Present: true, Zero: !found.IsData, Data: found.IsData, offset, 0, Path);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _handle.Dispose();
        base.Dispose(disposing);
    }
}
