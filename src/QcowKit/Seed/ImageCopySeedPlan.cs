using System.Buffers;
using QcowKit.Image;
using QcowKit.Image.Files;

namespace QcowKit.Seed;

/// <summary>
/// An image's guest bytes copied to an offset of the disk. The source's allocation map skips ranges that read
/// as zeros without reading them; within data ranges, zero blocks are skipped by the sparse writer.
/// </summary>
internal sealed class ImageCopySeedPlan : SeedPlan
{
    private const int BufferSize = 1024 * 1024;
    private readonly string _source;
    private readonly QcowImageFormat _format;
    private readonly long _offset;
    private readonly long _length;

    public ImageCopySeedPlan(ImageCopySeedOptions options)
    {
        if (!File.Exists(options.SourcePath)) throw new SeedException($"Source image '{options.SourcePath}' does not exist.");
        if (options.TargetOffset < 0 || options.TargetOffset % 512 != 0)
        {
            throw new SeedException($"Target offset {options.TargetOffset} must be a non-negative multiple of 512.");
        }
        _source = Path.GetFullPath(options.SourcePath);
        _offset = options.TargetOffset;
        try
        {
            _format = options.SourceFormat ?? VirtualDisk.ProbeFormat(_source);
            using var disk = Open();
            _length = disk.VirtualSize;
        }
        catch (Exception ex) when (ex is IOException and not SeedException or NotSupportedException or UnauthorizedAccessException)
        {
            throw new SeedException($"Source image '{options.SourcePath}' cannot be read: {ex.Message}", ex);
        }
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
            using var source = Open();
            foreach (var range in source.GetAllocationMap(0, _length))
            {
                if (range.Zero)
                {
                    writer.Zero(_offset + range.Start, range.Length);
                    continue;
                }
                for (long done = 0; done < range.Length;)
                {
                    var count = (int)Math.Min(BufferSize, range.Length - done);
                    var span = buffer.AsSpan(0, count);
                    source.Read(range.Start + done, span);
                    writer.Write(_offset + range.Start + done, span);
                    done += count;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        disk.Flush();
        return new SeedResult(diskSize, writer.BytesWritten, writer.BytesSkipped);
    }

    public override IReadOnlyCollection<InputFile> Inputs()
    {
        using var source = Open();
        return [.. InputFile.Of(source, "the image the seed copies")];
    }

    private IVirtualDisk Open() => VirtualDisk.Open(_source, _format, QcowOpenOptions.ReadOnly);
}
