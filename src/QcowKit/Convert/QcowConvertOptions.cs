namespace QcowKit;

/// <summary>What <c>qemu-img convert [-O qcow2|raw] [-c] [-o ...] [-B backing [-F fmt]] [-t cache]</c> takes.</summary>
public sealed class QcowConvertOptions
{
    /// <summary>
    /// qemu-img convert's <c>-U</c>: read the source even while another process writes it, and keep nobody from
    /// writing it meanwhile. The output is always locked for writing.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>
    /// Output format (<c>-O</c>): <c>qcow2</c> (the default) or <c>raw</c>. Raw output is a sparse copy of the
    /// guest bytes: ranges that read as zeros (in 4 KiB blocks, qemu's default <c>-S 4k</c>) are left as holes.
    /// </summary>
    public string OutputFormat { get; set; } = "qcow2";

    /// <summary>
    /// Flush the output to stable storage before returning (qemu-img's <c>-t writeback</c>). Off by default,
    /// like qemu-img convert, whose output cache mode is <c>unsafe</c> (no fsync at all).
    /// </summary>
    public bool FlushToDisk { get; set; }

    /// <summary>Create options of a qcow2 output (<c>-o</c>); the size defaults to the source's. Raw output has the source's size and ignores them.</summary>
    public QcowCreateOptions CreateOptions { get; set; } = new();

    /// <summary>Compress every cluster (<c>-c</c>) with the output's compression_type, on all cores.</summary>
    public bool Compress { get; set; }

    /// <summary>Backing file of the output (<c>-B</c>): only clusters that differ from it are written.</summary>
    public string? BackingFile { get; set; }

    /// <summary>Format of <see cref="BackingFile"/> (<c>-F</c>); probed when null.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>Threads that compress, or that read and write raw output (default: one per core).</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;
}
