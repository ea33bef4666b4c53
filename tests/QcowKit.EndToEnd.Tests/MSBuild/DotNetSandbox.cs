using System.Collections;
using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.MSBuild;

/// <summary>
/// A throw-away consumer world: QcowKit.MSBuild packed once into a local folder feed, a private
/// NuGet package cache (so a stale QcowKit.MSBuild from an earlier run can never hide a change),
/// and sample projects written beside a nuget.config that lists the feed and nuget.org.
/// </summary>
internal sealed class DotNetSandbox : IDisposable
{
    private readonly TempDirectory _root = new("msbuild-e2e");

    public DotNetSandbox()
    {
        Feed = Directory.CreateDirectory(Path.Combine(_root.Path, "feed")).FullName;
        PackageCache = Directory.CreateDirectory(Path.Combine(_root.Path, "packages")).FullName;
        Projects = Directory.CreateDirectory(Path.Combine(_root.Path, "projects")).FullName;
        File.WriteAllText(Path.Combine(Projects, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        // Keeps the repository's Directory.Build.props and global.json out of the sample projects' view.
        File.WriteAllText(Path.Combine(Projects, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(Projects, "Directory.Build.targets"), "<Project />");
    }

    public string Feed { get; }

    public string PackageCache { get; }

    public string Projects { get; }

    public string PackageVersion { get; private set; } = "";

    /// <summary>Packs tasks/QcowKit.Tasks into the feed and remembers the version it got.</summary>
    public void Pack()
    {
        var project = Path.Combine(RepoPaths.Root, "tasks", "QcowKit.Tasks", "QcowKit.Tasks.csproj");
        // Debug: a solution test run has already built these projects in Debug, so the pack is incremental
        // instead of a second full Release build (the package layout does not depend on the configuration).
        var result = DotNet(RepoPaths.Root, "pack", project, "-c", "Debug", "-o", Feed, "-nodeReuse:false");
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        var package = Directory.GetFiles(Feed, "QcowKit.MSBuild.*.nupkg").Single();
        PackageVersion = Path.GetFileNameWithoutExtension(package)["QcowKit.MSBuild.".Length..];
    }

    /// <summary>Writes a project folder with the given csproj body (inside &lt;Project Sdk="Microsoft.NET.Sdk"&gt;).</summary>
    public string WriteProject(string name, string body)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Projects, name)).FullName;
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="QcowKit.MSBuild" Version="{PackageVersion}" />
              </ItemGroup>
            {body}
            </Project>
            """);
        return folder;
    }

    /// <summary>`dotnet build` with normal verbosity (so "Skipping target" lines show) and no lingering nodes.</summary>
    public ProcessResult Build(string folder, params string[] extra)
        => DotNet(folder, ["build", "-nodeReuse:false", "-v:n", .. extra]);

    public ProcessResult Clean(string folder)
        => DotNet(folder, "clean", "-nodeReuse:false", "-v:n");

    public ProcessResult DotNet(string folder, params string[] arguments)
    {
        var environment = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = PackageCache,
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        // `dotnet test` hands MSBuild's own variables to the test host; a child build must find its own SDK.
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var key = (string)variable.Key;
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) && key != "MSBUILDDISABLENODEREUSE")
            {
                environment[key] = null;
            }
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = ProcessRunner.Run("dotnet", arguments, folder, TimeSpan.FromMinutes(4), environment);
        TestContext.Progress.WriteLine($"dotnet {string.Join(' ', arguments)} in {Path.GetFileName(folder)}: exit {result.ExitCode} after {clock.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    public void Dispose() => _root.Dispose();
}
