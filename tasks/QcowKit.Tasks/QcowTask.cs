using Microsoft.Build.Framework;
using QcowKit.Tasks.Resources;

namespace QcowKit.Tasks;

/// <summary>
/// Base of the QcowKit tasks: codes and messages from Strings.resx, errors logged with the image
/// as the file (so they read <c>disk.qcow2 : error QCOW1001: ...</c>), and cancellation.
/// </summary>
public abstract class QcowTask : Microsoft.Build.Utilities.Task, ICancelableTask, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary>Creates the task with the package's resource table and help keyword prefix.</summary>
    protected QcowTask()
        : base(Strings.ResourceManager, "QcowKit.")
    {
    }

    /// <summary>Signalled when MSBuild cancels the build (Ctrl+C, IDE cancel).</summary>
    protected CancellationToken CancellationToken => _cancellation.Token;

    /// <inheritdoc />
    public void Cancel() => _cancellation.Cancel();

    /// <inheritdoc />
    public override bool Execute()
    {
        try
        {
            Run();
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            Log.LogErrorWithCodeFromResources("Canceled", GetType().Name);
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>The task's work; errors are logged, not thrown.</summary>
    protected abstract void Run();

    /// <summary>Logs an error from the resource table with <paramref name="file"/> as its location.</summary>
    internal void LogErrorFor(string file, string resourceName, params object[] arguments)
        => Log.LogErrorWithCodeFromResources(null, file, 0, 0, 0, 0, resourceName, arguments);

    /// <summary>Logs a warning from the resource table with <paramref name="file"/> as its location.</summary>
    internal void LogWarningFor(string file, string resourceName, params object[] arguments)
        => Log.LogWarningWithCodeFromResources(null, file, 0, 0, 0, 0, resourceName, arguments);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the cancellation source.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _cancellation.Dispose();
        }
    }
}
