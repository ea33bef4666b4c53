using Microsoft.Build.Framework;
using QcowKit.Resize;

namespace QcowKit.Tasks;

/// <summary>
/// <c>qemu-img resize [--shrink] IMAGE [+|-]SIZE</c>: changes the virtual size of a qcow2 image or a raw file in place;
/// the engine parses <see cref="Size"/> and words every refusal (QCOW1053).
/// </summary>
/// <example>
/// <code>
/// &lt;QcowResize Image="out/disk.qcow2" Size="+2G" /&gt;
/// </code>
/// </example>
public sealed class QcowResize : QcowTask
{
    /// <summary>The image to resize in place.</summary>
    [Required]
    public ITaskItem Image { get; set; } = null!;

    /// <summary>The new size, or <c>+SIZE</c> / <c>-SIZE</c> relative to the current one, in qemu's spellings.</summary>
    [Required]
    public string Size { get; set; } = "";

    /// <summary>qemu-img's <c>--shrink</c>: allow the image to become smaller.</summary>
    public bool Shrink { get; set; }

    /// <summary>The image's format (<c>qcow2</c> or <c>raw</c>); probed when empty.</summary>
    public string? Format { get; set; }

    /// <summary>The virtual size before.</summary>
    [Output]
    public long OldSize { get; private set; }

    /// <summary>The virtual size after.</summary>
    [Output]
    public long NewSize { get; private set; }

    /// <inheritdoc />
    protected override void Run()
    {
        var path = Image.GetMetadata("FullPath");
        if (!ImageFile.Exists(this, path)) return;
        QcowResizeResult result;
        try
        {
            result = QcowResizer.Resize(path, new QcowResizeOptions
            {
                Size = QcowSizeChange.Parse(Size),
                Shrink = Shrink,
                Format = string.IsNullOrEmpty(Format) ? null : QemuNames.ParseDriver(Format),
            }, CancellationToken);
        }
        catch (Exception exception) when (ImageFile.LogIfLocked(this, exception))
        {
            return;
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            LogErrorFor(path, "ResizeFailed", path, exception.Message);
            return;
        }
        OldSize = result.OldSize;
        NewSize = result.NewSize;
        Log.LogMessageFromResources(MessageImportance.Normal, "Resized", path, result.OldSize, result.NewSize);
    }
}
