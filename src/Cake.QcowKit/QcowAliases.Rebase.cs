using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Rebase;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// <c>qemu-img rebase -b BACKING -F FORMAT IMAGE</c>: gives <paramref name="image"/> a new backing file, first copying
    /// in whatever the change would make the guest read differently (unless the settings ask for <c>-u</c>).
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The qcow2 image to change in place.</param>
    /// <param name="backingFile">The new backing file name as stored, relative to the image's folder; <c>""</c> makes the image standalone.</param>
    /// <param name="settings">Backing format (qcow2 by default), unsafe mode; null for the defaults.</param>
    /// <exception cref="QcowOptionsException">qemu-img's refusal (e.g. an image that is not qcow2).</exception>
    /// <example>
    /// <code>
    /// QcowRebase("./out/overlay.qcow2", "base-v2.qcow2");
    /// QcowRebase("./out/overlay.qcow2", "");   // flatten onto nothing: the overlay stands alone
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static void QcowRebase(this ICakeContext context, FilePath image, string backingFile, QcowRebaseSettings? settings = null)
    {
        var path = Resolve(context, image, nameof(image));
        ArgumentNullException.ThrowIfNull(backingFile);
        settings ??= new QcowRebaseSettings();
        QcowRebaser.Rebase(path, new QcowRebaseOptions
        {
            BackingFile = backingFile,
            BackingFormat = backingFile.Length == 0 ? null : settings.BackingFormat,
            Unsafe = settings.Unsafe,
            ImageFormat = settings.ImageFormat,
            ForceShare = settings.ForceShare,
        }, new SynchronousProgress<QcowRebaseProgress>(value => context.Log.Verbose("QcowRebase {0}: {1:P0}", path, value.Fraction), 0.1));
        context.Log.Verbose("QcowRebase {0}: backing file now '{1}'", path, backingFile);
    }
}
