using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Bitmaps;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// <c>qemu-img bitmap</c>: adds, removes, clears, enables, disables or merges a persistent dirty bitmap of a qcow2
    /// image in place, the operations applied in order; the engine's <see cref="QcowBitmaps.Apply(string, QcowBitmapRequest, System.Threading.CancellationToken)"/>
    /// decides and words every refusal.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The image whose bitmap changes.</param>
    /// <param name="request">The bitmap, its operations and options (a relative <see cref="QcowBitmapRequest.SourceFile"/> is resolved against the working directory).</param>
    /// <exception cref="QcowOptionsException">qemu-img's refusal (an existing or missing bitmap, a bad granularity, a v2 image, ...).</exception>
    /// <example>
    /// <code>
    /// QcowBitmap("./out/disk.qcow2", new QcowBitmapRequest { BitmapName = "backup0", Operations = [new(QcowBitmapAction.Add)] });
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static void QcowBitmap(this ICakeContext context, FilePath image, QcowBitmapRequest request)
    {
        var path = Resolve(context, image, nameof(image));
        ArgumentNullException.ThrowIfNull(request);
        var source = request.SourceFile is { } file ? Resolve(context, new FilePath(file), nameof(request)) : null;
        QcowBitmaps.Apply(path, new QcowBitmapRequest
        {
            BitmapName = request.BitmapName,
            Operations = request.Operations,
            Granularity = request.Granularity,
            Format = request.Format,
            SourceFile = source,
            SourceFormat = request.SourceFormat,
        });
        context.Log.Information("QcowBitmap {0}: {1} {2}", path, request.BitmapName, string.Join(", ", request.Operations.Select(o => o.Action)));
    }
}
