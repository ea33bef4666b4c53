using Cake.Common.IO;

namespace QcowKit.Build.Tasks;

/// <summary>Deletes build outputs and packages so the next build starts from nothing.</summary>
[TaskName("Clean")]
[TaskDescription("Deletes bin/, obj/ of every project and artifacts/.")]
public sealed class CleanTask : PipelineTask
{
    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // build/ is left alone: the running pipeline's own project is compiled from it.
        foreach (var folder in new[] { "src", "tasks", "tests", "benchmarks" })
        {
            context.CleanDirectories(context.Root.Combine(folder).FullPath + "/**/bin");
            context.CleanDirectories(context.Root.Combine(folder).FullPath + "/**/obj");
        }
        context.CleanDirectory(context.Root.Combine("artifacts"));
    }
}
