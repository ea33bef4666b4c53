using Microsoft.Build.Framework;
using QcowKit.Image;

namespace QcowKit.Tasks;

/// <summary>
/// Converts a qcow2 or raw image into a new qcow2 or raw image, as
/// <c>qemu-img convert [-O qcow2|raw] [-c] [-o OPTIONS] [-B BACKING [-F FMT]] SRC DST</c> does. <see cref="Destination"/>
/// is also an output, so a target can add it to <c>FileWrites</c>.
/// </summary>
/// <example>
/// <code>
/// &lt;QcowConvert Source="images/base.img" Destination="$(IntermediateOutputPath)base.qcow2" Compress="true"
///              Options="compression_type=zstd"&gt;
///   &lt;Output TaskParameter="Destination" ItemName="FileWrites" /&gt;
/// &lt;/QcowConvert&gt;
/// </code>
/// </example>
public sealed class QcowConvert : QcowTask
{
    /// <summary>Progress is logged at most this often (in steps of the whole), so big images do not flood the log.</summary>
    private const double ProgressStep = 0.1;

    /// <summary>The image to read (qcow2 or raw); never written.</summary>
    [Required]
    public ITaskItem Source { get; set; } = null!;

    /// <summary>Format of <see cref="Source"/> (qemu-img's <c>-f</c>): qcow2 or raw; probed when empty.</summary>
    public string? SourceFormat { get; set; }

    /// <summary>The image to write.</summary>
    [Required]
    [Output]
    public ITaskItem Destination { get; set; } = null!;

    /// <summary>Output format (<c>-O</c>): <c>qcow2</c> (the default) or <c>raw</c> (a sparse copy of the guest bytes).</summary>
    public string? OutputFormat { get; set; }

    /// <summary>Flush the output to stable storage before the task ends (default false, like qemu-img convert).</summary>
    public bool FlushToDisk { get; set; }

    /// <summary>Compress every cluster (<c>-c</c>) with the output's compression_type.</summary>
    public bool Compress { get; set; }

    /// <summary>A qemu-img option list (<c>-o</c>) for the output, e.g. <c>cluster_size=4k,compression_type=zstd</c>.</summary>
    public string? Options { get; set; }

    /// <summary>Backing file of the output (<c>-B</c>), relative to the destination's folder; only what differs is written.</summary>
    public string? BackingFile { get; set; }

    /// <summary>Format of <see cref="BackingFile"/> (<c>-F</c>); probed when empty.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>Replace an existing destination (default true, so that a rebuild regenerates it).</summary>
    public bool Overwrite { get; set; } = true;

    /// <summary>
    /// qemu-img convert's <c>-U</c>: read the source even while another process (a running VM, qemu-io, qemu-nbd) writes
    /// it. Without it such a source fails with QCOW1008 and qemu's <c>Failed to get shared "write" lock</c>.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <inheritdoc />
    protected override void Run()
    {
        var sourcePath = Source.GetMetadata("FullPath");
        var destinationPath = Destination.GetMetadata("FullPath");
        QcowImageFormat outputFormat;
        try
        {
            outputFormat = string.IsNullOrWhiteSpace(OutputFormat) ? QcowImageFormat.Qcow2 : QemuNames.ParseImageFormat(OutputFormat.Trim());
        }
        catch (QcowOptionsException exception)
        {
            LogErrorFor(destinationPath, "ConvertOutputFormat", destinationPath, exception.Message);
            return;
        }
        var options = new QcowConvertOptions
        {
            OutputFormat = outputFormat,
            OptionList = string.IsNullOrWhiteSpace(Options) ? null : Options.Trim(),
            Compress = Compress,
            BackingFile = string.IsNullOrWhiteSpace(BackingFile) ? null : BackingFile.Trim(),
            BackingFormat = string.IsNullOrWhiteSpace(BackingFormat) ? null : BackingFormat.Trim(),
            FlushToDisk = FlushToDisk,
        };
        try
        {
            options.Validate();
        }
        catch (QcowOptionsException exception)
        {
            LogErrorFor(destinationPath, "InvalidCreateOptions", destinationPath, exception.Message);
            return;
        }
        if (!ImageFile.Exists(this, sourcePath)) return;
        if (!Overwrite && (File.Exists(destinationPath) || Directory.Exists(destinationPath)))
        {
            LogErrorFor(destinationPath, "ConvertDestinationExists", destinationPath);
            return;
        }

        CancellationToken.ThrowIfCancellationRequested();
        IVirtualDisk source;
        try
        {
            source = VirtualDisk.Open(sourcePath, string.IsNullOrWhiteSpace(SourceFormat) ? null : QemuNames.ParseDriver(SourceFormat.Trim()),
                new QcowOpenOptions { ForceShare = ForceShare, ConversionSource = true });
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            ImageFile.LogOpenFailure(this, sourcePath, exception);
            return;
        }
        using (source)
        {
            try
            {
                var folder = Path.GetDirectoryName(destinationPath);
                if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
                QcowConverter.Convert(source, destinationPath, options, new SynchronousProgress<QcowConvertProgress>(
                    value => Log.LogMessageFromResources(MessageImportance.Low, "ConvertProgress", sourcePath, value.Fraction, value.TotalBytes), ProgressStep), CancellationToken);
            }
            catch (QcowOptionsException exception)
            {
                LogErrorFor(destinationPath, "InvalidCreateOptions", destinationPath, exception.Message);
                return;
            }
            catch (OutputIsInputException exception)
            {
                LogErrorFor(destinationPath, "OutputIsInput", exception.Message);
                return;
            }
            catch (Exception exception) when (ImageFile.IsImageProblem(exception))
            {
                if (!ImageFile.LogIfLocked(this, exception)) LogErrorFor(destinationPath, "ConvertFailed", sourcePath, destinationPath, exception.Message);
                return;
            }
            Log.LogMessageFromResources(MessageImportance.Normal, "Converted", sourcePath, destinationPath, source.VirtualSize,
                new FileInfo(destinationPath).Length);
        }
    }
}
