using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Image;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// Reads what <c>qemu-img info</c> reports about a qcow2 image: virtual size, cluster size,
    /// version, feature bits, backing file, snapshots, bitmaps. Never writes to the image.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The qcow2 image.</param>
    /// <param name="settings">How to open it; null for the defaults.</param>
    /// <returns>The image's properties.</returns>
    /// <exception cref="global::QcowKit.QcowFormatException">The file is not a valid qcow2 image; the message names the field and its offset.</exception>
    /// <example>
    /// <code>
    /// var info = QcowInfo("./out/disk.qcow2");
    /// Information("{0} bytes, {1} byte clusters, compat {2}", info.VirtualSize, info.ClusterSize, QemuNames.Name(info.Compat));
    /// var untrusted = QcowInfo("./upload.qcow2", new QcowInfoSettings().WithUntrusted());
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static QcowImageInfo QcowInfo(this ICakeContext context, FilePath image, QcowInfoSettings? settings = null)
    {
        var path = Resolve(context, image, nameof(image));
        settings ??= new QcowInfoSettings();
        using var opened = QcowImage.Open(path, OpenOptions(context, settings.Untrusted, settings.DataFile, settings.ForceShare));
        var info = opened.GetInfo();
        context.Log.Verbose("QcowInfo {0}: virtual size {1}, cluster size {2}, compat {3}, dirty {4}, corrupt {5}",
            path, info.VirtualSize, info.ClusterSize, QemuNames.Name(info.Compat), info.DirtyFlag, info.Corrupt);
        return info;
    }

    private static QcowOpenOptions OpenOptions(ICakeContext context, bool untrusted, FilePath? dataFile, bool forceShare) => new()
    {
        ForceShare = forceShare,
        // Locked as qemu-img info locks: others may read the image meanwhile but not write it.
        InspectOnly = true,
        ExternalFiles = untrusted ? ExternalFilePolicy.Never : ExternalFilePolicy.Open,
        DataFile = dataFile?.MakeAbsolute(context.Environment).FullPath,
    };
}
