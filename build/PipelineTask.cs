namespace QcowKit.Build;

/// <summary>
/// One step of the pipeline, in the shape of a Cake Frosting task: a class per task, its name and
/// dependencies declared with <see cref="TaskNameAttribute"/> and <see cref="IsDependentOnAttribute"/>.
/// </summary>
public abstract class PipelineTask
{
    /// <summary>Does the task's work.</summary>
    public abstract void Run(BuildContext context);

    /// <summary>Whether the task runs at all; a skipped task shows as skipped in the report.</summary>
    public virtual bool ShouldRun(BuildContext context) => true;
}
