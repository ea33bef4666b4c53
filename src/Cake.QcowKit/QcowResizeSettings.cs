using QcowKit;

namespace Cake.QcowKit;

/// <summary>How <see cref="QcowAliases.QcowResize"/> resizes: qemu-img resize's <c>--shrink</c> and <c>-f</c>.</summary>
public sealed class QcowResizeSettings
{
    /// <summary>qemu-img's <c>--shrink</c>: allow the image to become smaller.</summary>
    public bool Shrink { get; set; }

    /// <summary>The image's format (<c>-f</c>); probed when null.</summary>
    public QcowImageFormat? Format { get; set; }

    /// <summary>Sets <see cref="Shrink"/>.</summary>
    /// <param name="shrink">Whether a smaller size is allowed.</param>
    /// <returns>These settings.</returns>
    public QcowResizeSettings WithShrink(bool shrink = true)
    {
        Shrink = shrink;
        return this;
    }

    /// <summary>Sets <see cref="Format"/>.</summary>
    /// <param name="format">The image's format.</param>
    /// <returns>These settings.</returns>
    public QcowResizeSettings WithFormat(QcowImageFormat format)
    {
        Format = format;
        return this;
    }
}
