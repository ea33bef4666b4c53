using Cake.Core.Diagnostics;

namespace QcowKit.Build.Tasks;

/// <summary>The newcomer's job: build, pack, and say what came out.</summary>
[TaskName(Name)]
[IsDependentOn(typeof(BuildTask))]
[IsDependentOn(typeof(PackTask))]
[TaskDescription("Build, pack, and print a summary of what was made.")]
public sealed class DefaultTask : PipelineTask
{
    /// <summary>The target run when none is given.</summary>
    public const string Name = "Default";

    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Log.Information("Summary");
        context.Log.Information("  packages made ({0}) in {1}:", context.PackagesMade.Count, context.PackagesDirectory.FullPath);
        foreach (var package in context.PackagesMade)
        {
            context.Log.Information("    {0}", package.GetFilename());
        }
    }
}
