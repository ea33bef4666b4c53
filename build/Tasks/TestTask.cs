using Cake.Common.Tools.DotNet;
using Cake.Common.Tools.DotNet.Test;

namespace QcowKit.Build.Tasks;

/// <summary>Runs every test project of the solution.</summary>
[TaskName("Test")]
[IsDependentOn(typeof(BuildTask))]
[TaskDescription("dotnet test QcowKit.sln on the build output (needs qemu-img).")]
public sealed class TestTask : PipelineTask
{
    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.DotNetTest(context.Solution.FullPath, new DotNetTestSettings
        {
            Configuration = context.Configuration,
            NoBuild = true,
            NoRestore = true,
        });
    }
}
