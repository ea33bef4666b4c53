using System.CommandLine;
using Microsoft.Win32.SafeHandles;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit convert</c>: copies an image's guest contents into a new image. Raw output is sparse:
/// ranges that read as zeroes (unallocated, zero clusters, or all-zero 4 KiB blocks, qemu's default
/// <c>-S 4k</c>) are not written, the file just gets its length.
/// </summary>
internal static class ConvertCommand
{
    private const int ChunkSize = 2 * 1024 * 1024;
    private const int SparseBlock = 4096;

    public static Command Create()
    {
        var sourceFormat = CommonOptions.Format("-f", "Format of the source image; probed when omitted");
        var outputFormat = CommonOptions.OutputImageFormat("raw");
        var options = CommonOptions.FormatOptions();
        var progress = CommonOptions.Progress();
        var quiet = CommonOptions.Quiet();
        var forceShare = CommonOptions.ForceShare();
        var source = new Argument<string>("SRC") { Description = "Source image" };
        var destination = new Argument<string>("DST") { Description = "Image to create (replaced when it exists)" };
        var command = new Command("convert", "Copy an image's guest contents into a new image");
        command.Options.Add(sourceFormat);
        command.Options.Add(outputFormat);
        command.Options.Add(options);
        command.Options.Add(progress);
        command.Options.Add(quiet);
        command.Options.Add(forceShare);
        command.Arguments.Add(source);
        command.Arguments.Add(destination);
        CommandActions.Set(command, context =>
        {
            var sourcePath = context.GetValue(source);
            var destinationPath = context.GetValue(destination);
            var target = context.GetValue(outputFormat);
            var formatOptions = CommonOptions.ParseKeyValues(context.GetValue(options));
            using var image = ImageOpener.Open(sourcePath, context.GetValue(sourceFormat));
            var bar = context.Progress(context.GetValue(progress) && !context.GetValue(quiet), 1.0);
            switch (target)
            {
                case "raw":
                    if (formatOptions.Count > 0)
                    {
                        throw new CliException(destinationPath, $"raw output takes no -o options (got '{formatOptions[0].Key}')");
                    }
                    ToRaw(image, destinationPath, bar, context.CancellationToken);
                    break;
                case "qcow2":
                    throw new CliException(destinationPath, "convert -O qcow2 is not available yet: this build writes raw output only (-O raw)");
                default:
                    throw new CliException(destinationPath, $"unknown output format '{target}' (use raw)");
            }
            bar.Finish();
            return 0;
        });
        return command;
    }

    /// <summary>Writes <paramref name="image"/>'s guest bytes to a new sparse raw file.</summary>
    public static void ToRaw(IVirtualDisk image, string destinationPath, ProgressBar progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(progress);
        SafeFileHandle output;
        try
        {
            output = File.OpenHandle(destinationPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(destinationPath, ImageOpener.Describe(ex), 1, ex);
        }
        using (output)
        {
            var size = image.VirtualSize;
            var buffer = new byte[ChunkSize];
            foreach (var range in image.GetAllocationMap(0, size))
            {
                // Zero or unallocated ranges stay holes in the output.
                if (range.Data && !range.Zero)
                {
                    for (long done = 0; done < range.Length;)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var chunk = buffer.AsSpan(0, (int)Math.Min(ChunkSize, range.Length - done));
                        image.Read(range.Start + done, chunk);
                        WriteNonZeroBlocks(output, chunk, range.Start + done, destinationPath);
                        done += chunk.Length;
                        progress.Advance(chunk.Length, size);
                    }
                }
                else
                {
                    progress.Advance(range.Length, size);
                }
            }
            try
            {
                RandomAccess.SetLength(output, size);
                RandomAccess.FlushToDisk(output);
            }
            catch (IOException ex)
            {
                throw new CliException(destinationPath, ImageOpener.Describe(ex), 1, ex);
            }
        }
    }

    /// <summary>Writes the runs of <paramref name="chunk"/> that hold a non-zero byte, in 4 KiB blocks.</summary>
    private static void WriteNonZeroBlocks(SafeFileHandle output, ReadOnlySpan<byte> chunk, long offset, string destinationPath)
    {
        var position = 0;
        while (position < chunk.Length)
        {
            var start = position;
            while (start < chunk.Length && !chunk.Slice(start, Math.Min(SparseBlock, chunk.Length - start)).ContainsAnyExcept((byte)0))
            {
                start += SparseBlock;
            }
            if (start >= chunk.Length) break;
            var end = start;
            while (end < chunk.Length && chunk.Slice(end, Math.Min(SparseBlock, chunk.Length - end)).ContainsAnyExcept((byte)0))
            {
                end += SparseBlock;
            }
            end = Math.Min(end, chunk.Length);
            try
            {
                RandomAccess.Write(output, chunk[start..end], offset + start);
            }
            catch (IOException ex)
            {
                throw new CliException(destinationPath, ImageOpener.Describe(ex), 1, ex);
            }
            position = end;
        }
    }
}
