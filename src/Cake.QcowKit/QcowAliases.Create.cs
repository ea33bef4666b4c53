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
    /// Creates an empty qcow2 image the way <c>qemu-img create -f qcow2</c> does (same layout,
    /// defaults and refusals). An existing file at <paramref name="image"/> is replaced.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The image to create.</param>
    /// <param name="settings">Size and qemu's create options.</param>
    /// <returns>What <c>qemu-img info</c> reports about the new image.</returns>
    /// <exception cref="CakeException">qemu-img would refuse the options; the message is qemu's.</exception>
    /// <example>
    /// <code>
    /// QcowCreate("./out/disk.qcow2", new QcowCreateSettings().WithSize("10G"));
    /// QcowCreate("./out/small.qcow2", new QcowCreateSettings()
    ///     .WithSize(64L &lt;&lt; 20)
    ///     .WithClusterSize(128 * 1024)
    ///     .WithExtendedL2()
    ///     .WithCompression(QcowKit.Format.CompressionType.Zstd));
    /// QcowCreate("./out/overlay.qcow2", new QcowCreateSettings().WithBackingFile("disk.qcow2"));
    /// QcowCreate("./out/qemu-style.qcow2", new QcowCreateSettings().WithSize("1G").WithOptions("lazy_refcounts=on,refcount_bits=8"));
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static QcowImageInfo QcowCreate(this ICakeContext context, FilePath image, QcowCreateSettings settings)
    {
        var path = Resolve(context, image, nameof(image));
        ArgumentNullException.ThrowIfNull(settings);
        QcowImageInfo info;
        try
        {
            using var created = QcowImage.Create(path, settings.ToOptions());
            info = created.GetInfo();
        }
        catch (QcowOptionsException ex)
        {
            throw new CakeException($"QcowCreate {path}: {ex.Message}", ex);
        }
        context.Log.Information("QcowCreate {0}: {1} bytes, {2} byte clusters, compat {3}", path, info.VirtualSize, info.ClusterSize, QemuNames.Name(info.Compat));
        return info;
    }
}
