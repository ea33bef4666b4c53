using QcowKit;
namespace Cake.QcowKit;

/// <summary>What <see cref="QcowAliases.QcowMeasure(Cake.Core.ICakeContext, Cake.Core.IO.FilePath, QcowMeasureSettings?)"/> measures for: qemu-img measure's <c>-O</c>, <c>-o</c>, <c>-f</c> and <c>-U</c>.</summary>
public sealed class QcowMeasureSettings
{
    /// <summary>The output format (<c>-O</c>): <c>raw</c> (qemu-img's default when null) or <c>qcow2</c>.</summary>
    public string? OutputFormat { get; set; }

    /// <summary>The output format's options (<c>-o</c>), e.g. <c>cluster_size=2M,refcount_bits=64</c>.</summary>
    public string? Options { get; set; }

    /// <summary>The source's format (<c>-f</c>); probed when null.</summary>
    public QcowImageFormat? SourceFormat { get; set; }

    /// <summary>qemu-img's <c>-U</c>: read a source another process holds for writing.</summary>
    public bool ForceShare { get; set; }

    /// <summary>Sets <see cref="OutputFormat"/>.</summary>
    public QcowMeasureSettings WithOutputFormat(string format)
    {
        OutputFormat = format;
        return this;
    }

    /// <summary>Sets <see cref="Options"/>.</summary>
    public QcowMeasureSettings WithOptions(string optionList)
    {
        Options = optionList;
        return this;
    }

    /// <summary>Sets <see cref="SourceFormat"/>.</summary>
    public QcowMeasureSettings WithSourceFormat(QcowImageFormat format)
    {
        SourceFormat = format;
        return this;
    }

    /// <summary>Sets <see cref="ForceShare"/>.</summary>
    public QcowMeasureSettings WithForceShare(bool forceShare = true)
    {
        ForceShare = forceShare;
        return this;
    }

    /// <summary>The engine's request for a source image or a size.</summary>
    internal global::QcowKit.Measure.QcowMeasureOptions ToOptions(long? size) => new()
    {
        OutputFormat = OutputFormat ?? new global::QcowKit.Measure.QcowMeasureOptions().OutputFormat,
        OptionList = Options,
        Size = size,
        SourceFormat = SourceFormat,
        ForceShare = ForceShare,
    };
}
