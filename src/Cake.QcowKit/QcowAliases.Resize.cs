using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Resize;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// <c>qemu-img resize [--shrink] IMAGE [+|-]SIZE</c>: changes the virtual size of a qcow2 image or a raw file in place.
    /// The size takes qemu's spellings (<c>10G</c>, <c>+512M</c>, <c>-1G</c>, <c>0x100000</c>), parsed by the engine.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The image to resize in place.</param>
    /// <param name="size">The new size, or <c>+SIZE</c> / <c>-SIZE</c> relative to the current one.</param>
    /// <param name="settings">Shrink permission and format; null for the defaults.</param>
    /// <returns>The sizes before and after.</returns>
    /// <exception cref="QcowOptionsException">qemu-img's refusal (a malformed size, a shrink without <see cref="QcowResizeSettings.Shrink"/>).</exception>
    /// <example>
    /// <code>
    /// QcowResize("./out/disk.qcow2", "+2G");
    /// QcowResize("./out/disk.qcow2", "1G", new QcowResizeSettings().WithShrink());
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static QcowResizeResult QcowResize(this ICakeContext context, FilePath image, string size, QcowResizeSettings? settings = null)
    {
        var path = Resolve(context, image, nameof(image));
        ArgumentNullException.ThrowIfNull(size);
        settings ??= new QcowResizeSettings();
        var result = QcowResizer.Resize(path, new QcowResizeOptions
        {
            Size = QcowSizeChange.Parse(size),
            Shrink = settings.Shrink,
            Format = settings.Format,
        });
        context.Log.Information("QcowResize {0}: {1} -> {2} bytes", path, result.OldSize, result.NewSize);
        return result;
    }
}
