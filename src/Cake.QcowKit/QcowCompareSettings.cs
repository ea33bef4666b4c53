using QcowKit;
using Cake.Core.IO;

namespace Cake.QcowKit;

/// <summary>
/// The options of <see cref="QcowAliases.QcowCompare(Cake.Core.ICakeContext, FilePath, FilePath, QcowCompareSettings?)"/>:
/// those of <c>qemu-img compare [-f fmt] [-F fmt] [-s]</c>.
/// </summary>
public sealed class QcowCompareSettings
{
    /// <summary>Format of the first image (<c>-f</c>): <c>qcow2</c> or <c>raw</c>; probed when null.</summary>
    public QcowImageFormat? FirstFormat { get; set; }

    /// <summary>Format of the second image (<c>-F</c>); probed when null.</summary>
    public QcowImageFormat? SecondFormat { get; set; }

    /// <summary>Strict mode (<c>-s</c>): images of different size, or allocated differently, are different.</summary>
    public bool Strict { get; set; }

    /// <summary>
    /// qemu-img's <c>-U</c> (force-share): read the image even while another process (a running VM, qemu-io,
    /// qemu-nbd) writes it, and keep nobody from writing it meanwhile. Without it such an image is refused with
    /// qemu's <c>Failed to get shared "write" lock</c>.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>Sets <see cref="FirstFormat"/> and <see cref="SecondFormat"/>.</summary>
    public QcowCompareSettings WithFormats(QcowImageFormat? firstFormat, QcowImageFormat? secondFormat)
    {
        FirstFormat = firstFormat;
        SecondFormat = secondFormat;
        return this;
    }

    /// <summary>Sets <see cref="Strict"/>.</summary>
    public QcowCompareSettings WithStrict(bool strict = true)
    {
        Strict = strict;
        return this;
    }

    /// <summary>Sets <see cref="ForceShare"/>.</summary>
    public QcowCompareSettings WithForceShare(bool forceShare = true)
    {
        ForceShare = forceShare;
        return this;
    }
}
