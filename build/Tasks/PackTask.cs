using Cake.Common.IO;
using Cake.Common.Tools.DotNet;
using Cake.Common.Tools.DotNet.Pack;

namespace QcowKit.Build.Tasks;

/// <summary>Packs every packable project of the solution, and the qcowkit tool's RID packages, into artifacts/packages.</summary>
[TaskName("Pack")]
[IsDependentOn(typeof(BuildTask))]
[TaskDescription("dotnet pack every packable project, plus the qcowkit tool's linux-x64 (NativeAOT) and any packages, into artifacts/packages.")]
public sealed class PackTask : PipelineTask
{
    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.CleanDirectory(context.PackagesDirectory);
        // The solution's pack makes the libraries' packages and the tool's pointer package from the Build output.
        context.DotNetPack(context.Solution.FullPath, new DotNetPackSettings
        {
            Configuration = context.Configuration,
            NoBuild = true,
            NoRestore = true,
            OutputDirectory = context.PackagesDirectory,
        });
        ToolPackages.PackRuntimePackages(context, context.PackagesDirectory);
        foreach (var package in context.GetFiles(context.PackagesDirectory.FullPath + "/*.nupkg"))
        {
            context.PackagesMade.Add(package);
        }
        if (context.PackagesMade.Count == 0)
        {
            throw new InvalidOperationException($"dotnet pack made no package in {context.PackagesDirectory.FullPath}.");
        }
    }
}
