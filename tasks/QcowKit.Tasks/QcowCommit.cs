using Microsoft.Build.Framework;
using QcowKit.Commit;

namespace QcowKit.Tasks;

/// <summary>
/// <c>qemu-img commit</c>: writes what <see cref="Image"/> allocates into its backing file (or into <see cref="Base"/>
/// further down the chain), then empties it unless <see cref="Keep"/> or a base is given.
/// </summary>
/// <example>
/// <code>
/// &lt;QcowCommit Image="out/stage2.qcow2" /&gt;
/// </code>
/// </example>
public sealed class QcowCommit : QcowTask
{
    /// <summary>The qcow2 overlay to commit.</summary>
    [Required]
    public ITaskItem Image { get; set; } = null!;

    /// <summary>The image of the backing chain to commit into; empty for the immediate backing file. Implies <see cref="Keep"/>.</summary>
    public ITaskItem? Base { get; set; }

    /// <summary>qemu-img's <c>-d</c>: leave the overlay as it is.</summary>
    public bool Keep { get; set; }

    /// <inheritdoc />
    protected override void Run()
    {
        var path = Image.GetMetadata("FullPath");
        if (!ImageFile.Exists(this, path)) return;
        try
        {
            QcowCommitter.Commit(path, new QcowCommitOptions { Base = Base?.GetMetadata("FullPath"), Drop = Keep }, cancellationToken: CancellationToken);
        }
        catch (Exception exception) when (ImageFile.LogIfLocked(this, exception))
        {
            return;
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            LogErrorFor(path, "CommitFailed", path, exception.Message);
            return;
        }
        Log.LogMessageFromResources(MessageImportance.Normal, "Committed", path);
    }
}
