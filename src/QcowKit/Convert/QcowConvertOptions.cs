namespace QcowKit;

/// <summary>What <c>qemu-img convert [-O qcow2|raw] [-c] [-o ...] [-B backing [-F fmt]] [-t cache]</c> takes.</summary>
public sealed class QcowConvertOptions
{
    /// <summary>
    /// qemu-img convert's <c>-U</c>: read the source even while another process writes it, and keep nobody from
    /// writing it meanwhile. The output is always locked for writing.
    /// </summary>
    public bool ForceShare { get; init; }

    /// <summary>
    /// Output format (<c>-O</c>, a name <see cref="QemuNames.ParseImageFormat"/> parses): qcow2 (the default) or raw. Raw output is a sparse copy of the
    /// guest bytes: ranges that read as zeros (in 4 KiB blocks, qemu's default <c>-S 4k</c>) are left as holes.
    /// </summary>
    public QcowImageFormat OutputFormat { get; init; } = QcowImageFormat.Qcow2;

    /// <summary>
    /// Flush the output to stable storage before returning (qemu-img's <c>-t writeback</c>). Off by default,
    /// like qemu-img convert, whose output cache mode is <c>unsafe</c> (no fsync at all).
    /// </summary>
    public bool FlushToDisk { get; init; }

    /// <summary>Create options of a qcow2 output (<c>-o</c>); the size defaults to the source's. Raw output has the source's size and ignores them.</summary>
    public QcowCreateOptions CreateOptions { get; init; } = new();

    /// <summary>
    /// A qemu <c>-o</c> option list applied on top of <see cref="CreateOptions"/> for qcow2 output; raw output
    /// takes only <c>size</c> (which it ignores, like qemu-img) and refuses any other name.
    /// </summary>
    public string? OptionList { get; init; }

    /// <summary>Compress every cluster (<c>-c</c>) with the output's compression_type, on all cores.</summary>
    public bool Compress { get; init; }

    /// <summary>Backing file of the output (<c>-B</c>): only clusters that differ from it are written.</summary>
    public string? BackingFile { get; init; }

    /// <summary>Format of <see cref="BackingFile"/> (<c>-F</c>); probed when null.</summary>
    public string? BackingFormat { get; init; }

    /// <summary>Threads that compress, or that read and write raw output (default: one per core).</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Refuses what qemu-img convert refuses before it opens anything, with its messages: an unknown output
    /// format, a malformed option list, and for raw output compression, a backing file or a qcow2 option.
    /// <see cref="QcowConverter"/> calls it; surfaces may call it first to refuse bad arguments before any file is touched.
    /// </summary>
    /// <exception cref="QcowOptionsException">The first refusal.</exception>
    public void Validate() => EffectiveCreateOptions();

    /// <summary>The qcow2 create options with <see cref="OptionList"/> applied (for raw output: the defaults, after its checks).</summary>
    internal QcowCreateOptions EffectiveCreateOptions()
    {
        var pairs = OptionList is null ? [] : QemuOptionList.Parse(OptionList);
        switch (OutputFormat)
        {
            case QcowImageFormat.Qcow2:
                var create = CreateOptions.Clone();
                foreach (var (key, value) in pairs)
                {
                    create.Set(key, value);
                }
                return create;
            case QcowImageFormat.Raw:
                if (Compress) throw new QcowOptionsException("Compression not supported for this file format");
                if (BackingFile is not null) throw new QcowOptionsException("Backing file not supported for file format 'raw'");
                foreach (var (key, value) in pairs)
                {
                    if (key != "size") throw new QcowOptionsException($"Invalid parameter '{key}'");
                    new QcowCreateOptions().Set(key, value);
                }
                return new QcowCreateOptions();
            default:
                throw new QcowOptionsException($"Unknown file format '{(int)OutputFormat}'");
        }
    }
}
