namespace QcowKit.Image.Locking;

/// <summary>
/// What QcowKit does with a file, expressed as the set of qemu lock bytes qemu-img 7.2 takes for the same
/// use (docs/engine-internals.md, "Image locks", lists the traces these come from).
/// </summary>
public enum ImageLockMode
{
    /// <summary>No locks (qemu-img info -U).</summary>
    None,

    /// <summary>Metadata only, as qemu-img info: nothing held; others may not write or resize.</summary>
    Inspect,

    /// <summary>
    /// Read guest data: consistent read held; others may not write or resize. A qcow2 image or qcow2
    /// backing file read by any verb, and convert's source of either format.
    /// </summary>
    Read,

    /// <summary>
    /// Read guest data, sharing everything: consistent read held only. Every read-only open under
    /// <c>-U</c>/force-share, a raw backing file, a raw image read by map or compare.
    /// </summary>
    ReadShared,

    /// <summary>Read, write and resize a qcow2 image; others may not write or resize.</summary>
    Write,

    /// <summary>Write a raw image (convert's raw target): consistent read and write held; everything shared.</summary>
    WriteShared,

    /// <summary>
    /// Create or truncate a file (qemu's create step, before the format driver opens it): write and resize held;
    /// others may not resize. A raw file other processes write without resizing stays creatable, as in qemu-img.
    /// </summary>
    Create,

    /// <summary>Read an image's external data file: consistent read held; others may not resize.</summary>
    DataFileRead,

    /// <summary>Write an image's external data file: consistent read, write and resize held; others may not resize.</summary>
    DataFileWrite,

    /// <summary>Resize a raw file (qemu-img resize -f raw): consistent read, write and resize held; everything shared.</summary>
    ResizeShared,
}
