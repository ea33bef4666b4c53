using Cake.Core.Diagnostics;
using Cake.Common.IO;

namespace QcowKit.Build.Tasks;

/// <summary>
/// The qcowkit tool's three packages alone, without building the rest of the solution: what the tool's end-to-end
/// test installs, packed by the same code as the Pack task.
/// </summary>
[TaskName("ToolPack")]
[TaskDescription("dotnet pack the qcowkit tool alone (pointer, linux-x64 NativeAOT and any packages) into artifacts/packages or --packages=DIR.")]
public sealed class ToolPackTask : PipelineTask
{
    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.CleanDirectory(context.PackagesDirectory);
        ToolPackages.PackPointer(context, context.PackagesDirectory);
        ToolPackages.PackRuntimePackages(context, context.PackagesDirectory);
        foreach (var package in context.GetFiles(context.PackagesDirectory.FullPath + "/*.nupkg"))
        {
            context.PackagesMade.Add(package);
        }
        context.Log.Information("ToolPack: {0}", string.Join(", ", context.PackagesMade.Select(package => package.GetFilename().FullPath)));
    }
}
