using QcowKit.Amend;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    /// <summary>
    /// Changes an existing image's options in place, as <c>qemu-img amend -f qcow2 -o ...</c> (qemu 7.2): compat
    /// upgrade and downgrade, lazy refcounts, refcount width, data file name and data_file_raw, virtual size.
    /// Refusals are checked before anything is written (a refused amend leaves the file unchanged); the
    /// changes themselves write new metadata before the header points to it, so a crash leaves at worst leaks.
    /// A dirty image is first repaired, as qemu does when it opens one read-write.
    /// </summary>
    /// <param name="path">The qcow2 image; it must not be open elsewhere.</param>
    /// <param name="options">The options to change (only the set ones).</param>
    /// <param name="progress">Receives progress; may be null.</param>
    /// <param name="cancellationToken">Checked between steps that leave a consistent image.</param>
    /// <exception cref="QcowOptionsException">qemu-img would refuse the amend (qemu's message).</exception>
    /// <exception cref="QcowFormatException">The image is malformed.</exception>
    /// <exception cref="QcowImageLockedException">Another process uses the image (qemu-img amend refuses too); nothing was written.</exception>
    public static void Amend(string path, QcowAmendOptions options, IProgress<QcowAmendProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        QcowAmender.Amend(path, options, progress, cancellationToken);
}
