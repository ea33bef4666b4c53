using Microsoft.Build.Framework;
using QcowKit.Measure;

namespace QcowKit.Tasks;

/// <summary>
/// <c>qemu-img measure</c>: the file size converting <see cref="Image"/> (or creating an image of <see cref="Size"/>)
/// into <see cref="OutputFormat"/> needs, so a build can size a volume before it converts. Reads only.
/// </summary>
/// <example>
/// <code>
/// &lt;QcowMeasure Image="base.qcow2" OutputFormat="qcow2" Options="cluster_size=2M"&gt;
///   &lt;Output TaskParameter="Required" PropertyName="VolumeBytes" /&gt;
/// &lt;/QcowMeasure&gt;
/// </code>
/// </example>
public sealed class QcowMeasure : QcowTask
{
    /// <summary>The source image; leave it empty and give <see cref="Size"/> to measure a new, empty image.</summary>
    public ITaskItem? Image { get; set; }

    /// <summary>qemu-img measure's <c>--size</c>, in qemu's size syntax (e.g. <c>10G</c>); only without <see cref="Image"/>.</summary>
    public string? Size { get; set; }

    /// <summary>The output format (<c>-O</c>): <c>raw</c> (qemu-img's default) or <c>qcow2</c>.</summary>
    public string? OutputFormat { get; set; }

    /// <summary>The output format's options (<c>-o</c>), e.g. <c>cluster_size=2M,refcount_bits=64</c>.</summary>
    public string? Options { get; set; }

    /// <summary>The source's format (<c>-f</c>); probed when empty.</summary>
    public string? SourceFormat { get; set; }

    /// <summary>qemu-img's <c>-U</c>: read a source another process holds for writing.</summary>
    public bool ForceShare { get; set; }

    /// <summary>qemu's <c>required</c>: bytes the converted (or new) image needs.</summary>
    [Output]
    public long Required { get; private set; }

    /// <summary>qemu's <c>fully-allocated</c>: bytes the image takes with every cluster allocated.</summary>
    [Output]
    public long FullyAllocated { get; private set; }

    /// <summary>qemu's <c>bitmaps</c>: bytes for the source's persistent bitmaps; empty when qemu does not report it.</summary>
    [Output]
    public string Bitmaps { get; private set; } = "";

    /// <inheritdoc />
    protected override void Run()
    {
        var path = Image?.GetMetadata("FullPath");
        if (path is not null && !ImageFile.Exists(this, path)) return;
        var location = path ?? BuildEngine?.ProjectFileOfTaskNode ?? "";
        QcowMeasurement measurement;
        try
        {
            var options = new QcowMeasureOptions
            {
                OutputFormat = string.IsNullOrEmpty(OutputFormat) ? new QcowMeasureOptions().OutputFormat : OutputFormat,
                OptionList = string.IsNullOrEmpty(Options) ? null : Options,
                Size = string.IsNullOrEmpty(Size) ? null : QemuSize.ParseImageSize(Size),
                SourceFormat = string.IsNullOrEmpty(SourceFormat) ? null : QemuNames.ParseDriver(SourceFormat),
                ForceShare = ForceShare,
            };
            measurement = QcowMeasurer.Measure(path, options, CancellationToken);
        }
        catch (QcowOptionsException exception)
        {
            var reason = exception.SecondLine() is { } second ? $"{exception.Message} ({second})" : exception.Message;
            LogErrorFor(location, "MeasureRefused", path ?? Size ?? "", reason);
            return;
        }
        catch (Exception exception) when (path is not null && ImageFile.IsImageProblem(exception))
        {
            ImageFile.LogOpenFailure(this, path, exception);
            return;
        }
        Required = measurement.Required;
        FullyAllocated = measurement.FullyAllocated;
        Bitmaps = measurement.Bitmaps?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
        Log.LogMessageFromResources(MessageImportance.Normal, "Measured", path ?? Size ?? "", Required, FullyAllocated);
    }
}
