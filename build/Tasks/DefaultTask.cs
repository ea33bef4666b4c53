using Cake.Core.Diagnostics;

namespace QcowKit.Build.Tasks;

/// <summary>The newcomer's job: build, regenerate and validate the fixtures, pack, and say what came out.</summary>
[TaskName(Name)]
[IsDependentOn(typeof(BuildTask))]
[IsDependentOn(typeof(FixturesTask))]
[IsDependentOn(typeof(PackTask))]
[TaskDescription("Build, regenerate and validate the fixtures, pack, and print a summary.")]
public sealed class DefaultTask : PipelineTask
{
    /// <summary>The target run when none is given.</summary>
    public const string Name = "Default";

    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Log.Information("Summary");
        context.Log.Information("  fixtures validated: {0} in {1} ({2} accepted, {3} rejected, each as expected)",
            context.FixturesValidated.Count, context.FixturesDirectory.FullPath,
            context.FixturesValidated.Count(f => f.Accepted), context.FixturesValidated.Count(f => !f.Accepted));
        context.Log.Information("  packages made ({0}) in {1}:", context.PackagesMade.Count, context.PackagesDirectory.FullPath);
        foreach (var package in context.PackagesMade)
        {
            context.Log.Information("    {0}", package.GetFilename());
        }
    }
}
