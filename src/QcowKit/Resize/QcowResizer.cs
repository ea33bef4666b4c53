using QcowKit.Image;
using QcowKit.Image.Locking;

namespace QcowKit.Resize;

/// <summary>
/// <c>qemu-img resize</c> for qcow2 images and raw files: the size arithmetic, the refusals and their order, and the
/// locks are qemu-img 7.2's. Every refusal is raised before the file changes.
/// </summary>
public static class QcowResizer
{
    /// <summary>qemu-img's refusal of a shrink without <c>--shrink</c>.</summary>
    public const string ShrinkNeedsOptionMessage = "Use the --shrink option to perform a shrink operation.";

    /// <summary>The warning qemu-img prints after <see cref="ShrinkNeedsOptionMessage"/>.</summary>
    public const string ShrinkWarning =
        "warning: Shrinking an image will delete all data beyond the shrunken image's end. Before performing such an operation, make sure there is no important data there.";

    /// <summary>Changes the virtual size of <paramref name="path"/> in place.</summary>
    /// <param name="path">The image.</param>
    /// <param name="options">The size change and flags.</param>
    /// <param name="cancellationToken">Observed before the first write: a canceled call leaves the image as it was.</param>
    /// <returns>The sizes before and after.</returns>
    /// <exception cref="QcowOptionsException">qemu-img's refusals: a size that is not positive, a shrink without <see cref="QcowResizeOptions.Shrink"/>, a qcow2 size that is not a multiple of 512, a v2 image with snapshots.</exception>
    /// <exception cref="QcowException">The image cannot be opened or written, or another process holds it.</exception>
    public static QcowResizeResult Resize(string path, QcowResizeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        var format = options.Format ?? ProbedFormat(path);
        return format == QcowImageFormat.Raw
            ? ResizeRaw(path, options, cancellationToken)
            : ResizeQcow2(path, options, cancellationToken);
    }

    private static QcowImageFormat ProbedFormat(string path)
    {
        var probed = VirtualDisk.Probe(path);
        return QemuNames.TryParseImageFormat(probed, out var format)
            ? format
            : throw new QcowFormatException($"Could not open '{path}': QcowKit resizes qcow2 and raw images, not '{probed}'");
    }

    private static QcowResizeResult ResizeQcow2(string path, QcowResizeOptions options, CancellationToken cancellationToken)
    {
        using var image = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite });
        var oldSize = image.VirtualSize;
        var newSize = NewSize(oldSize, options);
        if ((newSize & 511) != 0)
        {
            throw new QcowOptionsException("The new size must be a multiple of 512");
        }
        try
        {
            image.Resize(newSize, options.Shrink, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            throw new QcowOptionsException(ex.Message, ex);
        }
        return new QcowResizeResult(oldSize, newSize);
    }

    private static QcowResizeResult ResizeRaw(string path, QcowResizeOptions options, CancellationToken cancellationToken)
    {
        // qemu-img resize holds read, write and resize on a raw file and shares all of them.
        var handle = LockedFile.Open(Path.GetFullPath(path), path, FileAccess.ReadWrite, ImageLockMode.ResizeShared);
        try
        {
            // qemu's raw driver sees whole 512-byte sectors.
            var oldSize = (RandomAccess.GetLength(handle) + 511) & ~511L;
            var newSize = NewSize(oldSize, options);
            cancellationToken.ThrowIfCancellationRequested();
            HostFiles.SetLength(handle, path, newSize);
            return new QcowResizeResult(oldSize, newSize);
        }
        finally
        {
            LockedFile.Close(handle);
        }
    }

    private static long NewSize(long oldSize, QcowResizeOptions options)
    {
        var newSize = options.Size.ApplyTo(oldSize);
        if (newSize < oldSize && !options.Shrink)
        {
            throw new QcowOptionsException(ShrinkNeedsOptionMessage).WithSecondLine(ShrinkWarning);
        }
        return newSize;
    }
}
