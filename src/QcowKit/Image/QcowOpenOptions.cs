using QcowKit.Image.Locking;

namespace QcowKit.Image;

/// <summary>How <see cref="QcowImage.Open(string, QcowOpenOptions?)"/> opens an image.</summary>
public sealed class QcowOpenOptions
{
    /// <summary>qemu's refusal of force-share on an open that writes.</summary>
    public const string ForceShareWithWriteMessage = "force-share=on can only be used with read-only images";

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
    /// qemu's force-share (<c>-U</c>): read even while another process writes the image, and do not keep others
    /// from writing it. Read-only opens only: a writable open with it throws <see cref="ArgumentException"/>.
    /// </summary>
    public bool ForceShare { get; init; }

    /// <summary>
    /// The caller reads metadata only, as qemu-img info does: the image is locked the way qemu-img info locks it
    /// (others may still read it but not write it; with <see cref="ForceShare"/>, no lock at all).
    /// </summary>
    public bool InspectOnly { get; init; }

    /// <summary>
    /// The image is a conversion source: a raw source is locked against writers too (qemu-img convert does so;
    /// map and compare leave raw images shareable).
    /// </summary>
    public bool ConversionSource { get; init; }

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
    public bool PortableZstd { get; init; }

    internal bool Writable => (Access & FileAccess.Write) != 0;

    /// <summary>The locks qemu-img takes on a qcow2 image (or qcow2 backing file) opened this way.</summary>
    internal ImageLockMode ImageLockMode =>
        Writable ? ImageLockMode.Write
        : ForceShare ? (InspectOnly ? ImageLockMode.None : ImageLockMode.ReadShared)
        : InspectOnly ? ImageLockMode.Inspect
        : ImageLockMode.Read;

    /// <summary>The locks qemu-img takes on a raw image (or raw backing file) opened this way.</summary>
    internal ImageLockMode RawLockMode =>
        InspectOnly ? ImageLockMode.None
        : ConversionSource && !ForceShare ? ImageLockMode.Read
        : ImageLockMode.ReadShared;

    /// <summary>A raw backing file is read through the overlay, which shares writes to it (only consistent read is held).</summary>
    internal ImageLockMode RawBackingLockMode => InspectOnly ? ImageLockMode.None : ImageLockMode.ReadShared;

    /// <summary>The locks qemu-img takes on an external data file.</summary>
    internal ImageLockMode DataFileLockMode =>
        Writable ? ImageLockMode.DataFileWrite
        : ForceShare ? ImageLockMode.ReadShared
        : ImageLockMode.DataFileRead;
}
