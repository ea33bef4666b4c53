using System.CommandLine;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit convert</c>: copies an image's guest contents into a new image through the engine's
/// <see cref="QcowConverter"/>. Raw output is sparse: ranges that read as zeroes (unallocated, zero clusters,
/// or all-zero 4 KiB blocks, qemu's default <c>-S 4k</c>) are not written, the file just gets its length.
/// qcow2 output takes <c>-c</c>, <c>-o ...</c> and <c>-B BACKING [-F FMT]</c>. Like qemu-img (whose output
/// cache mode is <c>unsafe</c>) nothing is fsynced unless <c>-t</c> names a cache mode other than unsafe.
/// </summary>
internal static class ConvertCommand
{
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
        var cache = new Option<string>("-t")
        {
            Description = "Cache mode of the output: unsafe (default, no fsync, like qemu-img) or writeback, writethrough, none, directsync (fsync before exit)",
            HelpName = "CACHE",
            DefaultValueFactory = _ => "unsafe",
        };
        cache.AcceptOnlyFromAmong("unsafe", "writeback", "writethrough", "none", "directsync");
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
        command.Options.Add(cache);
        command.Arguments.Add(source);
        command.Arguments.Add(destination);
        CommandActions.Set(command, context =>
        {
            var sourcePath = context.GetValue(source);
            var destinationPath = context.GetValue(destination);
            QcowConvertOptions convertOptions;
            try
            {
                // qemu-img refuses bad arguments before it opens the source, naming no file.
                convertOptions = new QcowConvertOptions
                {
                    OutputFormat = QemuNames.ParseImageFormat(context.GetValue(outputFormat)!),
                    OptionList = QemuOptionList.Join(context.GetValue(options)),
                    Compress = context.GetValue(compress),
                    BackingFile = context.GetValue(backing),
                    BackingFormat = context.GetValue(backingFormat),
                    FlushToDisk = context.GetValue(cache) != "unsafe",
                };
                convertOptions.Validate();
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(null, CommandActions.OneLine(ex.Message), 1, ex);
            }
            using var image = ImageOpener.Open(sourcePath, context.GetValue(sourceFormat), forceShare: context.GetValue(forceShare), conversionSource: true);
            var bar = context.Progress(context.GetValue(progress) && !context.GetValue(quiet), 1.0);
            Convert(image, destinationPath, convertOptions, bar, context.CancellationToken);
            bar.Finish();
            return 0;
        });
        return command;
    }

    /// <summary>Converts <paramref name="image"/> with the engine's converter, turning its failures into one-line CLI errors.</summary>
    public static void Convert(IVirtualDisk image, string destinationPath, QcowConvertOptions options, ProgressBar progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        try
        {
            QcowConverter.Convert(image, destinationPath, options, new SynchronousProgress<QcowConvertProgress>(value => progress.Report(value.Fraction * 100)), cancellationToken);
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(destinationPath, CommandActions.OneLine(ex.Message), 1, ex);
        }
        catch (Exception ex) when (ex is QcowFormatException or InvalidDataException or InvalidOperationException)
        {
            throw new CliException(image.FileName, $"error while reading: {ImageOpener.Describe(ex)}", 1, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The source is open and well-formed, so this is almost always the output (permissions, disk full).
            throw new CliException(destinationPath, ImageOpener.Describe(ex), 1, ex);
        }
    }
}
