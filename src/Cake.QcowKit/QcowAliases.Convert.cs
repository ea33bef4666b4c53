using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// Converts a qcow2 or raw image into a new qcow2 image (or, with <see cref="QcowConvertSettings.OutputFormat"/>
    /// <c>raw</c>, a sparse raw copy), like <c>qemu-img convert</c>: zero clusters stay unallocated, <see cref="QcowConvertSettings.Compress"/> compresses every
    /// cluster, and with a backing file only clusters that differ from it are written. An existing
    /// file at <paramref name="destination"/> is replaced. Progress is logged at verbose level.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="source">The image to read (never written).</param>
    /// <param name="destination">The image to create.</param>
    /// <param name="settings">Source format, compression, qemu's <c>-o</c> options, backing file; null for the defaults.</param>
    /// <exception cref="CakeException">qemu-img would refuse the options; the message is qemu's.</exception>
    /// <example>
    /// <code>
    /// QcowConvert("./out/disk.raw", "./out/disk.qcow2", new QcowConvertSettings().WithSourceFormat("raw"));
    /// QcowConvert("./out/disk.qcow2", "./out/small.qcow2", new QcowConvertSettings()
    ///     .WithCompression(QcowKit.Format.CompressionType.Zstd)
    ///     .WithOptions("cluster_size=128k"));
    /// QcowConvert("./out/new.qcow2", "./out/delta.qcow2", new QcowConvertSettings().WithBackingFile("disk.qcow2", "qcow2"));
    /// QcowConvert("./out/disk.qcow2", "./out/disk.img", new QcowConvertSettings().WithOutputFormat("raw"));
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static void QcowConvert(this ICakeContext context, FilePath source, FilePath destination, QcowConvertSettings? settings = null)
    {
        var from = Resolve(context, source, nameof(source));
        var to = Resolve(context, destination, nameof(destination));
        settings ??= new QcowConvertSettings();
        // Logged once per tenth, on the converter's thread, so log lines keep their order.
        var progress = new SynchronousProgress<QcowConvertProgress>(
            value => context.Log.Verbose("QcowConvert {0}: {1}% ({2} of {3} bytes)", to, (int)(value.Fraction * 100), value.BytesDone, value.TotalBytes), 0.1);
        try
        {
            QcowConverter.Convert(from, settings.SourceFormat, to, settings.ToOptions(), progress);
        }
        catch (QcowOptionsException ex)
        {
            throw new CakeException($"QcowConvert {from} -> {to}: {ex.Message}", ex);
        }
        context.Log.Information("QcowConvert {0} -> {1}{2}", from, to, settings.Compress ? " (compressed)" : string.Empty);
    }
}
