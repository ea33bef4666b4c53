namespace QcowKit.Image;

/// <summary>How <see cref="QcowImage.Open(string, QcowOpenOptions?)"/> opens an image.</summary>
public sealed class QcowOpenOptions
{
    /// <summary>Read-only (the default) never writes to any file.</summary>
    public static QcowOpenOptions ReadOnly { get; } = new();

    /// <summary>Open read-only, opening no file but the image itself.</summary>
    public static QcowOpenOptions Untrusted { get; } = new() { ExternalFiles = ExternalFilePolicy.Never };

    /// <summary><see cref="FileAccess.Read"/> (default) or <see cref="FileAccess.ReadWrite"/>. Backing files are always opened read-only.</summary>
    public FileAccess Access { get; init; } = FileAccess.Read;

    /// <summary>Whether backing files and the external data file are opened.</summary>
    public ExternalFilePolicy ExternalFiles { get; init; } = ExternalFilePolicy.Open;

    /// <summary>Overrides the external data file name stored in the image (qemu's <c>data-file</c> option).</summary>
    public string? DataFile { get; init; }

    /// <summary>Upper bound of the L2 table cache in bytes (default 16 MiB); at least 8 tables are always cached.</summary>
    public long L2CacheBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Deepest backing chain accepted (guards against loops and hostile chains).</summary>
    public int MaxBackingChainDepth { get; init; } = 64;

    /// <summary>
    /// False: <see cref="QcowImage.Flush"/> and closing never fsync (qemu's cache=unsafe, what qemu-img convert
    /// uses for its output). Only the converter turns this off.
    /// </summary>
    internal bool FlushToDisk { get; init; } = true;

    /// <summary>Sees every host write and flush of the write engine (crash-consistency tests); null otherwise.</summary>
    internal Writing.IHostWriteObserver? WriteObserver { get; init; }

    /// <summary>
    /// Compress zstd clusters with the managed encoder even where the system libzstd is available: its output
    /// is the same on every machine, which reproducible fixture corpora need (libzstd versions differ in bytes).
    /// </summary>
    internal bool PortableZstd { get; init; }

    internal bool Writable => (Access & FileAccess.Write) != 0;
}
