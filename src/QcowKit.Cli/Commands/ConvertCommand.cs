using System.CommandLine;
using Microsoft.Win32.SafeHandles;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit convert</c>: copies an image's guest contents into a new image. Raw output is sparse:
/// ranges that read as zeroes (unallocated, zero clusters, or all-zero 4 KiB blocks, qemu's default
/// <c>-S 4k</c>) are not written, the file just gets its length. qcow2 output (<c>-O qcow2 [-c] [-o ...]
/// [-B BACKING [-F FMT]]</c>) goes through the engine's <see cref="QcowConverter"/>.
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
        var compress = new Option<bool>("-c") { Description = "Compress every cluster of the qcow2 output (compression_type from -o)" };
        var backing = new Option<string?>("-B") { Description = "Backing file of the qcow2 output: only what differs from it is written", HelpName = "BACKING" };
        var backingFormat = new Option<string?>("-F") { Description = "Format of the -B backing file; probed when omitted", HelpName = "FMT" };
        var source = new Argument<string>("SRC") { Description = "Source image" };
        var destination = new Argument<string>("DST") { Description = "Image to create (replaced when it exists)" };
        var command = new Command("convert", "Copy an image's guest contents into a new image");
        command.Options.Add(sourceFormat);
        command.Options.Add(outputFormat);
        command.Options.Add(options);
        command.Options.Add(progress);
        command.Options.Add(quiet);
        command.Options.Add(forceShare);
        command.Options.Add(compress);
        command.Options.Add(backing);
        command.Options.Add(backingFormat);
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
                    if (context.GetValue(compress))
                    {
                        throw new CliException(null, "Compression not supported for this file format");
                    }
                    if (context.GetValue(backing) is not null)
                    {
                        throw new CliException(destinationPath, "Backing file not supported for file format 'raw'");
                    }
                    if (formatOptions.Count > 0)
                    {
                        throw new CliException(destinationPath, $"raw output takes no -o options (got '{formatOptions[0].Key}')");
                    }
                    ToRaw(image, destinationPath, bar, context.CancellationToken);
                    break;
                case "qcow2":
                    ToQcow2(image, destinationPath, formatOptions, context.GetValue(compress), context.GetValue(backing), context.GetValue(backingFormat),
                        bar, context.CancellationToken);
                    break;
                default:
                    throw new CliException(destinationPath, $"unknown output format '{target}' (use raw or qcow2)");
            }
            bar.Finish();
            return 0;
        });
        return command;
    }

    /// <summary>Converts <paramref name="image"/> into a new qcow2 image with the engine's converter.</summary>
    public static void ToQcow2(IVirtualDisk image, string destinationPath, IReadOnlyList<KeyValuePair<string, string>> formatOptions, bool compress,
        string? backing, string? backingFormat, ProgressBar progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(formatOptions);
        ArgumentNullException.ThrowIfNull(progress);
        var options = new QcowConvertOptions { Compress = compress, BackingFile = backing, BackingFormat = backingFormat };
        try
        {
            foreach (var (key, value) in formatOptions)
            {
                options.CreateOptions.Set(key, value);
            }
            QcowConverter.Convert(image, destinationPath, options, new ProgressAdapter(progress), cancellationToken);
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(destinationPath, CommandActions.OneLine(ex.Message), 1, ex);
        }
    }

    /// <summary>Reports converter progress on the bar, synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class ProgressAdapter(ProgressBar bar) : IProgress<QcowConvertProgress>
    {
        public void Report(QcowConvertProgress value) => bar.Report(value.Fraction * 100);
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
            // Ranges that read as zeroes stay holes; the rest is copied in 2 MiB pieces by all cores
            // (reads are positional and decompression is the expensive part).
            var pieces = image.GetAllocationMap(0, size)
                .Where(range => range.Data && !range.Zero)
                .SelectMany(range => Split(range.Start, range.Length));
            var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
            long copied = 0;
            try
            {
                Parallel.ForEach(pieces, options, () => new byte[ChunkSize], (piece, _, buffer) =>
                {
                    var chunk = buffer.AsSpan(0, piece.Length);
                    ReadSource(image, piece.Offset, chunk);
                    WriteNonZeroBlocks(output, chunk, piece.Offset, destinationPath);
                    progress.Advance(piece.Length, size);
                    Interlocked.Add(ref copied, piece.Length);
                    return buffer;
                }, _ => { });
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            }
            progress.Advance(size - Interlocked.Read(ref copied), size);
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

    private static IEnumerable<(long Offset, int Length)> Split(long start, long length)
    {
        for (long done = 0; done < length; done += ChunkSize)
        {
            yield return (start + done, (int)Math.Min(ChunkSize, length - done));
        }
    }

    private static void ReadSource(IVirtualDisk image, long offset, Span<byte> buffer)
    {
        try
        {
            image.Read(offset, buffer);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException)
        {
            throw new CliException(image.FileName, $"error while reading at offset {offset}: {ImageOpener.Describe(ex)}", 1, ex);
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
