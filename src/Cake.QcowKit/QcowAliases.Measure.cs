using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit.Measure;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// <c>qemu-img measure IMAGE</c>: the file size converting <paramref name="image"/> into the settings' output format
    /// needs (<see cref="QcowMeasurement.Required"/>) and its fully allocated size, with qemu-img's figures. Reads only.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The source image.</param>
    /// <param name="settings">Output format and options; null for qemu-img's defaults (raw).</param>
    /// <returns>qemu's required, fully-allocated and bitmaps figures.</returns>
    /// <exception cref="global::QcowKit.QcowOptionsException">qemu-img's refusal of the format or options.</exception>
    /// <example>
    /// <code>
    /// var size = QcowMeasure("./out/base.qcow2", new QcowMeasureSettings().WithOutputFormat("qcow2").WithOptions("cluster_size=2M"));
    /// Information("the volume needs {0} bytes", size.Required);
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static QcowMeasurement QcowMeasure(this ICakeContext context, FilePath image, QcowMeasureSettings? settings = null)
    {
        var path = Resolve(context, image, nameof(image));
        var measurement = QcowMeasurer.Measure(path, (settings ?? new QcowMeasureSettings()).ToOptions(null));
        context.Log.Verbose("QcowMeasure {0}: required {1}, fully allocated {2}", path, measurement.Required, measurement.FullyAllocated);
        return measurement;
    }

    /// <summary><c>qemu-img measure --size SIZE</c>: the sizes of a new image of <paramref name="size"/> in qemu's size syntax (e.g. <c>10G</c>).</summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="size">The virtual size, parsed as qemu-img parses <c>--size</c>.</param>
    /// <param name="settings">Output format and options; null for qemu-img's defaults (raw).</param>
    /// <returns>qemu's required and fully-allocated figures.</returns>
    /// <exception cref="global::QcowKit.QcowOptionsException">qemu-img's refusal of the size, format or options.</exception>
    [CakeMethodAlias]
    public static QcowMeasurement QcowMeasureSize(this ICakeContext context, string size, QcowMeasureSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(size);
        var measurement = QcowMeasurer.Measure(null, (settings ?? new QcowMeasureSettings()).ToOptions(global::QcowKit.QemuSize.ParseImageSize(size)));
        context.Log.Verbose("QcowMeasureSize {0}: required {1}, fully allocated {2}", size, measurement.Required, measurement.FullyAllocated);
        return measurement;
    }
}
