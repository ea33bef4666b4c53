namespace QcowKit.Rebase;

/// <summary>A <c>qemu-img rebase</c> request: the new backing file and how to get there.</summary>
public sealed class QcowRebaseOptions
{
    /// <summary>
    /// The new backing file name (<c>-b</c>) as it is stored, relative to the image's folder like every backing name;
    /// the empty string makes the image standalone. Null only with <see cref="Unsafe"/>, where it also removes the backing file.
    /// </summary>
    public string? BackingFile { get; init; }

    /// <summary>The new backing file's format (<c>-F</c>): <c>qcow2</c> or <c>raw</c>; required with a backing file, as in qemu-img 7.2.</summary>
    public string? BackingFormat { get; init; }

    /// <summary>
    /// qemu-img's <c>-u</c>: only rewrite the backing file name. Without it every cluster the image does not allocate
    /// itself and whose contents differ between the old and the new backing chain is copied in first, so the guest view stays as it was.
    /// </summary>
    public bool Unsafe { get; init; }

    /// <summary>The image's format (<c>-f</c>): null to probe; only qcow2 images have a backing file to change.</summary>
    public QcowImageFormat? ImageFormat { get; init; }

    /// <summary>qemu-img's <c>-U</c>: open the old and new backing files even while another process writes them.</summary>
    public bool ForceShare { get; init; }
}
