using Microsoft.Build.Framework;
using QcowKit.Bitmaps;

namespace QcowKit.Tasks;

/// <summary>
/// <c>qemu-img bitmap</c>: adds, removes, clears, enables, disables or merges a persistent dirty bitmap of a qcow2 image
/// in place, the operations in order; the engine parses them and words every refusal (QCOW1054).
/// </summary>
/// <example>
/// <code>
/// &lt;QcowBitmap Image="out/disk.qcow2" Bitmap="backup0" Operations="add;merge:b1;disable" Granularity="1M" /&gt;
/// </code>
/// </example>
public sealed class QcowBitmap : QcowTask
{
    /// <summary>The image whose bitmap changes.</summary>
    [Required]
    public ITaskItem Image { get; set; } = null!;

    /// <summary>The bitmap's name.</summary>
    [Required]
    public string Bitmap { get; set; } = "";

    /// <summary>The operations in order: <c>add</c>, <c>remove</c>, <c>clear</c>, <c>enable</c>, <c>disable</c>, <c>merge:SOURCE</c>.</summary>
    [Required]
    public string[] Operations { get; set; } = [];

    /// <summary><c>-g</c>: the granularity of an added bitmap, in qemu's spelling; qemu's default when empty.</summary>
    public string? Granularity { get; set; }

    /// <summary><c>-f</c>: the image's format; probed when empty.</summary>
    public string? Format { get; set; }

    /// <summary><c>-b</c>: the image holding the merge sources; the image itself when empty.</summary>
    public ITaskItem? SourceFile { get; set; }

    /// <summary><c>-F</c>: the format of <see cref="SourceFile"/>; probed when empty.</summary>
    public string? SourceFormat { get; set; }

    /// <inheritdoc />
    protected override void Run()
    {
        var path = Image.GetMetadata("FullPath");
        if (!ImageFile.Exists(this, path)) return;
        try
        {
            QcowBitmaps.Apply(path, new QcowBitmapRequest
            {
                BitmapName = Bitmap,
                Operations = [.. Operations.Select(QcowBitmapOperation.Parse)],
                Granularity = string.IsNullOrEmpty(Granularity) ? null : QcowBitmaps.ParseGranularity(Granularity),
                Format = string.IsNullOrEmpty(Format) ? null : QemuNames.ParseDriver(Format),
                SourceFile = SourceFile?.GetMetadata("FullPath"),
                SourceFormat = string.IsNullOrEmpty(SourceFormat) ? null : QemuNames.ParseDriver(SourceFormat),
            }, CancellationToken);
        }
        catch (Exception exception) when (ImageFile.LogIfLocked(this, exception))
        {
            return;
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            LogErrorFor(path, "BitmapFailed", path, exception.Message);
            return;
        }
        Log.LogMessageFromResources(MessageImportance.Normal, "BitmapChanged", path, Bitmap);
    }
}
