using Cake.Core.IO;

namespace Cake.QcowKit;

/// <summary>How <see cref="QcowAliases.QcowInfo(Cake.Core.ICakeContext, FilePath, QcowInfoSettings?)"/> opens an image.</summary>
public sealed class QcowInfoSettings
{
    /// <summary>
    /// Open nothing but the image file: no backing file, no external data file. Use it for images
    /// from untrusted sources, whose file names could point anywhere on the build machine.
    /// </summary>
    public bool Untrusted { get; set; }

    /// <summary>Use this external data file instead of the name stored in the image (qemu's <c>data-file</c> option).</summary>
    public FilePath? DataFile { get; set; }

    /// <summary>
    /// qemu-img's <c>-U</c> (force-share): read the image even while another process (a running VM, qemu-io,
    /// qemu-nbd) writes it, and keep nobody from writing it meanwhile. Without it such an image is refused with
    /// qemu's <c>Failed to get shared "write" lock</c>.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>Sets <see cref="Untrusted"/>.</summary>
    public QcowInfoSettings WithUntrusted(bool untrusted = true)
    {
        Untrusted = untrusted;
        return this;
    }

    /// <summary>Sets <see cref="DataFile"/>.</summary>
    public QcowInfoSettings WithDataFile(FilePath dataFile)
    {
        DataFile = dataFile;
        return this;
    }

    /// <summary>Sets <see cref="ForceShare"/>.</summary>
    public QcowInfoSettings WithForceShare(bool forceShare = true)
    {
        ForceShare = forceShare;
        return this;
    }
}
