using Cake.Common.Tools.DotNet;
using Cake.Common.Tools.DotNet.MSBuild;
using Cake.Common.Tools.DotNet.Pack;
using Cake.Core.IO;

namespace QcowKit.Build;

/// <summary>
/// The qcowkit tool's packages (.NET 10 RID-specific tool): the pointer package QcowKit.Cli, which lists the
/// RID packages, QcowKit.Cli.linux-x64 (NativeAOT) and QcowKit.Cli.any (portable, JIT). Because the CLI project
/// sets PublishAot, a plain pack makes only the pointer package: each RID package is its own pack with -r.
/// </summary>
public static class ToolPackages
{
    /// <summary>The CLI project, relative to the repository root.</summary>
    public const string CliProject = "src/QcowKit.Cli/QcowKit.Cli.csproj";

    /// <summary>The RIDs of ToolPackageRuntimeIdentifiers in the CLI project, native first.</summary>
    public static readonly IReadOnlyList<string> RuntimeIdentifiers = ["linux-x64", "any"];

    /// <summary>Packs the pointer package alone (with its own restore and build), as the ToolPack target does.</summary>
    public static void PackPointer(BuildContext context, DirectoryPath output)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.DotNetPack(context.Root.CombineWithFilePath(CliProject).FullPath, new DotNetPackSettings
        {
            Configuration = context.Configuration,
            OutputDirectory = output,
        });
    }

    /// <summary>Packs one package per RID into <paramref name="output"/>; each restores and builds for its RID.</summary>
    public static void PackRuntimePackages(BuildContext context, DirectoryPath output)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var rid in RuntimeIdentifiers)
        {
            var settings = new DotNetPackSettings
            {
                Configuration = context.Configuration,
                OutputDirectory = output,
                Runtime = rid,
                MSBuildSettings = new DotNetMSBuildSettings(),
            };
            if (rid != "any" && NativeLinker() is { } linker)
            {
                settings.MSBuildSettings.WithProperty("CppCompilerAndLinker", linker);
            }
            context.DotNetPack(context.Root.CombineWithFilePath(CliProject).FullPath, settings);
        }
    }

    /// <summary>
    /// NativeAOT links with <c>clang</c>; where only a versioned one is installed (Debian's clang-14) ILCompiler must be
    /// told its name. Null when a plain <c>clang</c> is on PATH (or none at all: ILCompiler's own error then says so).
    /// </summary>
    internal static string? NativeLinker()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (path.Any(folder => File.Exists(System.IO.Path.Combine(folder, "clang"))))
        {
            return null;
        }
        return path.Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "clang-*"))
            .Select(System.IO.Path.GetFileName)
            .Select(name => (Name: name!, Version: int.TryParse(name.AsSpan("clang-".Length), out var version) ? version : -1))
            .Where(candidate => candidate.Version >= 0)
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => candidate.Name)
            .FirstOrDefault();
    }
}
