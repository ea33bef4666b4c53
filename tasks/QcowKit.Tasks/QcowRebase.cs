using Microsoft.Build.Framework;
using QcowKit.Rebase;

namespace QcowKit.Tasks;

/// <summary>
/// <c>qemu-img rebase</c>: gives <see cref="Image"/> the backing file <see cref="BackingFile"/>, first copying in what the
/// change would make the guest read differently (unless <see cref="Unsafe"/>).
/// </summary>
/// <example>
/// <code>
/// &lt;QcowRebase Image="out/overlay.qcow2" BackingFile="base-v2.qcow2" /&gt;
/// </code>
/// </example>
public sealed class QcowRebase : QcowTask
{
    /// <summary>The qcow2 image to change in place.</summary>
    [Required]
    public ITaskItem Image { get; set; } = null!;

    /// <summary>The new backing file name as stored, relative to the image's folder; empty makes the image standalone.</summary>
    public string BackingFile { get; set; } = "";

    /// <summary>The new backing file's format (<c>-F</c>).</summary>
    public string BackingFormat { get; set; } = "qcow2";

    /// <summary>qemu-img's <c>-u</c>: only rename, copy nothing.</summary>
    public bool Unsafe { get; set; }

    /// <summary>qemu-img's <c>-U</c> for the new backing file.</summary>
    public bool ForceShare { get; set; }

    /// <inheritdoc />
    protected override void Run()
    {
        var path = Image.GetMetadata("FullPath");
        if (!ImageFile.Exists(this, path)) return;
        try
        {
            QcowRebaser.Rebase(path, new QcowRebaseOptions
            {
                BackingFile = BackingFile,
                BackingFormat = BackingFile.Length == 0 ? null : BackingFormat,
                Unsafe = Unsafe,
                ForceShare = ForceShare,
            }, cancellationToken: CancellationToken);
        }
        catch (Exception exception) when (ImageFile.LogIfLocked(this, exception))
        {
            return;
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            LogErrorFor(path, "RebaseFailed", path, exception.Message);
            return;
        }
        Log.LogMessageFromResources(MessageImportance.Normal, "Rebased", path, BackingFile);
    }
}
