using Cake.Common.Tools.DotNet;

namespace QcowKit.Build.Tasks;

/// <summary>Restores the solution's packages.</summary>
[TaskName("Restore")]
[TaskDescription("dotnet restore QcowKit.sln.")]
public sealed class RestoreTask : PipelineTask
{
    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.DotNetRestore(context.Solution.FullPath);
    }
}
