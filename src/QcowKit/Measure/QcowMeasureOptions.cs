namespace QcowKit.Measure;

/// <summary>
/// A <c>qemu-img measure</c> request: the output format and its option list, and either a source image or a
/// virtual size (<c>--size</c>), never both.
/// </summary>
public sealed class QcowMeasureOptions
{
    /// <summary>The format of the image that would be written: <c>raw</c> (qemu-img's default) or <c>qcow2</c>.</summary>
    public string OutputFormat { get; init; } = "raw";

    /// <summary>The output format's creation options (<c>-o</c>), in qemu's option-list syntax; null for none.</summary>
    public string? OptionList { get; init; }

    /// <summary>The virtual size to measure for (<c>--size</c>) when there is no source image.</summary>
    public long? Size { get; init; }

    /// <summary>The source image's format (<c>-f</c>): <c>qcow2</c>, <c>raw</c>, or null to probe it as qemu-img does.</summary>
    public QcowImageFormat? SourceFormat { get; init; }

    /// <summary>qemu-img's <c>-U</c>: read a source another process holds for writing.</summary>
    public bool ForceShare { get; init; }
}
