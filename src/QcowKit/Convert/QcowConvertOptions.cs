namespace QcowKit;

/// <summary>What <c>qemu-img convert -O qcow2 [-c] [-o ...] [-B backing [-F fmt]]</c> takes.</summary>
public sealed class QcowConvertOptions
{
    /// <summary>Create options of the output image (<c>-o</c>); the size defaults to the source's.</summary>
    public QcowCreateOptions CreateOptions { get; set; } = new();

    /// <summary>Compress every cluster (<c>-c</c>) with the output's compression_type, on all cores.</summary>
    public bool Compress { get; set; }

    /// <summary>Backing file of the output (<c>-B</c>): only clusters that differ from it are written.</summary>
    public string? BackingFile { get; set; }

    /// <summary>Format of <see cref="BackingFile"/> (<c>-F</c>); probed when null.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>Threads that compress (default: one per core).</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;
}
