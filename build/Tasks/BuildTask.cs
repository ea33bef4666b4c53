using Cake.Common.Tools.DotNet;
using Cake.Common.Tools.DotNet.Build;

namespace QcowKit.Build.Tasks;

/// <summary>Compiles the solution.</summary>
[TaskName("Build")]
[IsDependentOn(typeof(RestoreTask))]
[TaskDescription("dotnet build QcowKit.sln in the chosen configuration (warnings are errors).")]
public sealed class BuildTask : PipelineTask
{
    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.DotNetBuild(context.Solution.FullPath, new DotNetBuildSettings
        {
            Configuration = context.Configuration,
            NoRestore = true,
        });
    }
}
