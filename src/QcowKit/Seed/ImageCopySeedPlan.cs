using System.Buffers;

namespace QcowKit.Seed;

/// <summary>A file copied byte for byte to an offset of the disk, zero blocks skipped.</summary>
internal sealed class ImageCopySeedPlan : SeedPlan
{
    private const int BufferSize = 1024 * 1024;
    private readonly string _source;
    private readonly long _offset;
    private readonly long _length;

    public ImageCopySeedPlan(ImageCopySeedOptions options)
    {
        var info = new FileInfo(options.SourcePath);
        if (!info.Exists) throw new SeedException($"Source image '{options.SourcePath}' does not exist.");
        if (options.TargetOffset < 0 || options.TargetOffset % 512 != 0)
        {
            throw new SeedException($"Target offset {options.TargetOffset} must be a non-negative multiple of 512.");
        }
        _source = info.FullName;
        _offset = options.TargetOffset;
        _length = info.Length;
    }

    public override long MinimumDiskSize() => RoundUpToSector(_offset + _length);

    public override void Validate(long diskSize) => CheckRange($"Copy of '{_source}'", _offset, _length, diskSize);

    public override SeedResult Write(Stream disk, long diskSize, bool diskIsZeroed)
    {
        Validate(diskSize);
        var writer = new SparseWriter(disk, diskIsZeroed);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var source = new FileStream(_source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            long copied = 0;
            while (copied < _length)
            {
                var want = (int)Math.Min(BufferSize, _length - copied);
                var read = source.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
                if (read < want) throw new SeedException($"'{_source}' shrank while it was being copied.");
                writer.Write(_offset + copied, buffer.AsSpan(0, read));
                copied += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        disk.Flush();
        return new SeedResult(diskSize, writer.BytesWritten, writer.BytesSkipped);
    }
}
