using System.CommandLine;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit compare</c>: qemu-img compare's algorithm, messages and exit codes (0 identical,
/// 1 different, 2 cannot open, 3 cannot tell allocation, 4 cannot read).
/// </summary>
internal static class CompareCommand
{
    public const int Identical = 0;
    public const int Different = 1;
    public const int OpenFailed = 2;
    public const int AllocationFailed = 3;
    public const int ReadFailed = 4;

    private const int SectorSize = 512;
    private const int ChunkSize = 2 * 1024 * 1024;

    public static Command Create()
    {
        var format1 = CommonOptions.Format("-f", "Format of the first image; probed when omitted");
        var format2 = CommonOptions.Format("-F", "Format of the second image; probed when omitted");
        var strict = new Option<bool>("-s", "--strict") { Description = "Strict: images of different size, or allocated differently, are different" };
        var progress = CommonOptions.Progress();
        var quiet = CommonOptions.Quiet();
        var forceShare = CommonOptions.ForceShare();
        var first = new Argument<string>("A") { Description = "First image" };
        var second = new Argument<string>("B") { Description = "Second image" };
        var command = new Command("compare", "Compare the guest contents of two images");
        command.Options.Add(format1);
        command.Options.Add(format2);
        command.Options.Add(strict);
        command.Options.Add(progress);
        command.Options.Add(quiet);
        command.Options.Add(forceShare);
        command.Arguments.Add(first);
        command.Arguments.Add(second);
        CommandActions.Set(command, context =>
        {
            var path1 = context.GetValue(first);
            var path2 = context.GetValue(second);
            using var image1 = ImageOpener.Open(path1, context.GetValue(format1), OpenFailed);
            using var image2 = ImageOpener.Open(path2, context.GetValue(format2), OpenFailed);
            var bar = context.Progress(context.GetValue(progress) && !context.GetValue(quiet), 2.0);
            var (code, message) = Compare(image1, image2, context.GetValue(strict), bar, context.CancellationToken);
            if (code == Identical) bar.Finish();
            if (!context.GetValue(quiet))
            {
                foreach (var line in message) context.Out.WriteLine(line);
            }
            return code;
        }, failureExitCode: OpenFailed);
        return command;
    }

    /// <summary>Compares guest contents; returns the exit code and the lines qemu-img prints.</summary>
    public static (int ExitCode, IReadOnlyList<string> Lines) Compare(IVirtualDisk image1, IVirtualDisk image2, bool strict, ProgressBar progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image1);
        ArgumentNullException.ThrowIfNull(image2);
        ArgumentNullException.ThrowIfNull(progress);
        var lines = new List<string>();
        var size1 = image1.VirtualSize;
        var size2 = image2.VirtualSize;
        var common = Math.Min(size1, size2);
        var total = Math.Max(size1, size2);
        if (strict && size1 != size2)
        {
            lines.Add("Strict mode: Image size mismatch!");
            return (Different, lines);
        }
        var buffer1 = new byte[ChunkSize];
        var buffer2 = new byte[ChunkSize];
        long offset = 0;
        while (offset < common)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status1 = Status(image1, offset, size1 - offset);
            var status2 = Status(image2, offset, size2 - offset);
            var chunk = Math.Min(status1.Length, status2.Length);
            if (strict && !SameAllocation(status1, status2))
            {
                lines.Add($"Strict mode: Offset {offset} block status mismatch!");
                return (Different, lines);
            }
            if (status1.Zero && status2.Zero)
            {
                // Both read as zeroes: nothing to read.
            }
            else if (status1.Present == status2.Present)
            {
                if (status1.Present)
                {
                    chunk = Math.Min(chunk, ChunkSize);
                    var span1 = buffer1.AsSpan(0, (int)chunk);
                    var span2 = buffer2.AsSpan(0, (int)chunk);
                    Read(image1, offset, span1);
                    Read(image2, offset, span2);
                    if (FirstDifferentSector(span1, span2) is { } at)
                    {
                        lines.Add($"Content mismatch at offset {offset + at}!");
                        return (Different, lines);
                    }
                }
            }
            else
            {
                chunk = Math.Min(chunk, ChunkSize);
                var allocated = status1.Present ? image1 : image2;
                if (FirstNonZeroSector(allocated, offset, buffer1.AsSpan(0, (int)chunk)) is { } at)
                {
                    lines.Add($"Content mismatch at offset {offset + at}!");
                    return (Different, lines);
                }
            }
            offset += chunk;
            progress.Advance(chunk, total);
        }

        if (size1 != size2)
        {
            lines.Add("Warning: Image size mismatch!");
            var larger = size1 > size2 ? image1 : image2;
            while (offset < total)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var status = Status(larger, offset, total - offset);
                var chunk = status.Length;
                if (status.Present && !status.Zero)
                {
                    chunk = Math.Min(chunk, ChunkSize);
                    if (FirstNonZeroSector(larger, offset, buffer1.AsSpan(0, (int)chunk)) is { } at)
                    {
                        lines.Add($"Content mismatch at offset {offset + at}!");
                        return (Different, lines);
                    }
                }
                offset += chunk;
                progress.Advance(chunk, total);
            }
        }
        lines.Add("Images are identical.");
        return (Identical, lines);
    }

    /// <summary>What qemu's strict mode compares: the block status flags, not where the data lies.</summary>
    private static bool SameAllocation(AllocationRange a, AllocationRange b) =>
        a.Present == b.Present && a.Zero == b.Zero && a.Data == b.Data && a.Offset.HasValue == b.Offset.HasValue;

    private static void Read(IVirtualDisk image, long offset, Span<byte> buffer)
    {
        try
        {
            image.Read(offset, buffer);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new CliException(image.FileName, $"Error while reading offset {offset}: {ImageOpener.Describe(ex)}", ReadFailed, ex);
        }
    }

    /// <summary>The allocation of the guest bytes at <paramref name="offset"/> (bdrv_block_status_above).</summary>
    private static AllocationRange Status(IVirtualDisk image, long offset, long length)
    {
        try
        {
            return image.GetAllocationMap(offset, length).First();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException)
        {
            throw new CliException(image.FileName, $"Sector allocation test failed: {ImageOpener.Describe(ex)}", AllocationFailed, ex);
        }
    }

    /// <summary>compare_buffers(): the offset of the first 512-byte sector that differs.</summary>
    private static long? FirstDifferentSector(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var index = a.CommonPrefixLength(b);
        return index == a.Length ? null : index / SectorSize * SectorSize;
    }

    /// <summary>check_empty_sectors(): the offset of the first 512-byte sector that is not all zeroes.</summary>
    private static long? FirstNonZeroSector(IVirtualDisk image, long offset, Span<byte> buffer)
    {
        Read(image, offset, buffer);
        var index = buffer.IndexOfAnyExcept((byte)0);
        return index < 0 ? null : index / SectorSize * SectorSize;
    }
}
