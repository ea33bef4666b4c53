using Cake.Core.IO;
using QcowKit;
using QcowKit.Format;

namespace Cake.QcowKit;

/// <summary>
/// The options of <see cref="QcowAliases.QcowConvert(Cake.Core.ICakeContext, FilePath, FilePath, QcowConvertSettings)"/>:
/// those of <c>qemu-img convert [-O qcow2|raw] [-f fmt] [-c] [-o ...] [-B backing [-F fmt]]</c>.
/// </summary>
public sealed class QcowConvertSettings
{
    /// <summary>Format of the source (<c>-f</c>): <c>qcow2</c> or <c>raw</c>; probed when null.</summary>
    public QcowImageFormat? SourceFormat { get; set; }

    /// <summary>Output format (<c>-O</c>): qcow2 (the default) or raw, a sparse copy of the guest bytes.</summary>
    public QcowImageFormat OutputFormat { get; set; } = QcowImageFormat.Qcow2;

    /// <summary>Flush the output to stable storage before the alias returns (default false: like qemu-img convert, no fsync).</summary>
    public bool FlushToDisk { get; set; }

    /// <summary>Compress every data cluster (<c>-c</c>) with <see cref="CompressionType"/>.</summary>
    public bool Compress { get; set; }

    /// <summary>How compressed clusters are encoded (<c>compression_type</c>); null keeps qemu's default (zlib).</summary>
    public CompressionType? CompressionType { get; set; }

    /// <summary>A qemu option list for the output (<c>key=value,...</c> as after <c>-o</c>), applied after <see cref="CompressionType"/>.</summary>
    public string? Options { get; set; }

    /// <summary>Backing file of the output (<c>-B</c>), stored as given: only clusters that differ from it are written.</summary>
    public string? BackingFile { get; set; }

    /// <summary>Format of <see cref="BackingFile"/> (<c>-F</c>); probed when null.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>
    /// qemu-img convert's <c>-U</c> (force-share) for the source: read it even while another process writes it. The
    /// destination is always locked for writing.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>Sets <see cref="SourceFormat"/>.</summary>
    public QcowConvertSettings WithSourceFormat(QcowImageFormat format)
    {
        SourceFormat = format;
        return this;
    }

    /// <summary>Sets <see cref="OutputFormat"/>.</summary>
    public QcowConvertSettings WithOutputFormat(QcowImageFormat format)
    {
        OutputFormat = format;
        return this;
    }

    /// <summary>Sets <see cref="OutputFormat"/> from qemu's name (<c>qcow2</c> or <c>raw</c>), as <c>-O</c> takes it; e.g. from a script argument.</summary>
    /// <exception cref="QcowOptionsException">qemu-img's <c>Unknown file format '...'</c> for any other name.</exception>
    public QcowConvertSettings WithOutputFormat(string format)
    {
        ArgumentNullException.ThrowIfNull(format);
        OutputFormat = QemuNames.ParseImageFormat(format);
        return this;
    }

    /// <summary>Sets <see cref="FlushToDisk"/>.</summary>
    public QcowConvertSettings WithFlushToDisk(bool flush = true)
    {
        FlushToDisk = flush;
        return this;
    }

    /// <summary>Sets <see cref="Compress"/>.</summary>
    public QcowConvertSettings WithCompression(bool compress = true)
    {
        Compress = compress;
        return this;
    }

    /// <summary>Sets <see cref="Compress"/> and <see cref="CompressionType"/>.</summary>
    public QcowConvertSettings WithCompression(CompressionType compressionType)
    {
        Compress = true;
        CompressionType = compressionType;
        return this;
    }

    /// <summary>Sets <see cref="Options"/>, a qemu <c>-o</c> list.</summary>
    public QcowConvertSettings WithOptions(string optionList)
    {
        Options = optionList;
        return this;
    }

    /// <summary>Sets <see cref="BackingFile"/> and, optionally, <see cref="BackingFormat"/>.</summary>
    public QcowConvertSettings WithBackingFile(string backingFile, string? format = null)
    {
        BackingFile = backingFile;
        BackingFormat = format;
        return this;
    }

    /// <summary>The engine's options; qemu's option list last, as qemu-img applies -o over defaults.</summary>
    internal QcowConvertOptions ToOptions()
    {
        var create = new QcowCreateOptions();
        if (CompressionType is { } type) create.CompressionType = type;
        if (!string.IsNullOrEmpty(Options)) create.Apply(Options);
        return new QcowConvertOptions
        {
            OutputFormat = OutputFormat,
            FlushToDisk = FlushToDisk,
            CreateOptions = create,
            Compress = Compress,
            BackingFile = BackingFile,
            BackingFormat = BackingFormat,
            ForceShare = ForceShare,
        };
    }

    /// <summary>Sets <see cref="ForceShare"/>.</summary>
    public QcowConvertSettings WithForceShare(bool forceShare = true)
    {
        ForceShare = forceShare;
        return this;
    }
}
