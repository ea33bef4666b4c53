using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.Cake;

/// <summary>
/// The README's two ways to load Cake.QcowKit from a local folder of packages (what build.cs leaves in
/// artifacts/packages), run by the repository's cake.tool: the folder named in the #addin directive, and the folder
/// as a source in a nuget.config. A plain `#addin nuget:?package=Cake.QcowKit` without either finds nothing.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CakeAddinPackageTests
{
    private static readonly string[] Projects =
        ["src/QcowKit/QcowKit.csproj", "src/QcowKit.Fixtures/QcowKit.Fixtures.csproj", "src/Cake.QcowKit/Cake.QcowKit.csproj"];

    private TempDirectory _temp = null!;
    private string _feed = "";
    private string _version = "";

    [OneTimeSetUp]
    public void PackTheAddinAndItsDependencies()
    {
        _temp = new TempDirectory("cake-addin-package");
        _feed = Directory.CreateDirectory(_temp.File("packages")).FullName;
        foreach (var project in Projects)
        {
            var pack = DotNetCommand.Run(RepoPaths.Root, TimeSpan.FromMinutes(5),
                "pack", Path.Combine(RepoPaths.Root, project), "-c", "Debug", "-o", _feed, "-nodeReuse:false");
            Assert.That(pack.ExitCode, Is.Zero, pack.Describe);
        }
        var package = Directory.GetFiles(_feed, "Cake.QcowKit.*.nupkg").Single();
        _version = Path.GetFileNameWithoutExtension(package)["Cake.QcowKit.".Length..];
    }

    [OneTimeTearDown]
    public void DeleteTemp() => _temp?.Dispose();

    [Test]
    public void Addin_directive_naming_the_folder_loads_the_package()
    {
        var run = RunScript("file-source", $"#addin nuget:file://{_feed}?package=Cake.QcowKit&version={_version}&loaddependencies=true", nugetConfig: false);

        Assert.That(run.ExitCode, Is.Zero, run.Describe);
        Assert.That(run.StandardOutput, Does.Contain("cake-addin-package: virtual size 1048576"), run.Describe);
    }

    [Test]
    public void Plain_addin_directive_loads_the_package_from_a_nuget_config_source()
    {
        var run = RunScript("config-source", $"#addin nuget:?package=Cake.QcowKit&version={_version}&loaddependencies=true", nugetConfig: true);

        Assert.That(run.ExitCode, Is.Zero, run.Describe);
        Assert.That(run.StandardOutput, Does.Contain("cake-addin-package: virtual size 1048576"), run.Describe);
    }

    [Test]
    public void Plain_addin_directive_without_a_source_finds_nothing()
    {
        // The failure the README explains: the folder is no feed until it is named.
        var run = RunScript("no-source", $"#addin nuget:?package=Cake.QcowKit&version={_version}&loaddependencies=true", nugetConfig: false);

        Assert.That(run.ExitCode, Is.Not.Zero, run.Describe);
        Assert.That(run.StandardOutput + run.StandardError, Does.Contain("Unable to find package 'Cake.QcowKit'"), run.Describe);
    }

    /// <summary>Writes build.cake (and a nuget.config listing the folder) into a folder of its own and runs `dotnet cake` there.</summary>
    private ProcessResult RunScript(string name, string directive, bool nugetConfig)
    {
        var folder = Directory.CreateDirectory(_temp.File(name)).FullName;
        Directory.CreateDirectory(Path.Combine(folder, ".config"));
        File.Copy(Path.Combine(RepoPaths.Root, ".config", "dotnet-tools.json"), Path.Combine(folder, ".config", "dotnet-tools.json"));
        File.WriteAllText(Path.Combine(folder, "build.cake"), $$"""
            {{directive}}
            Task("Default").Does(() =>
            {
                QcowCreate("disk.qcow2", new QcowCreateSettings().WithSize("1M"));
                Information("cake-addin-package: virtual size {0}", QcowInfo("disk.qcow2").VirtualSize);
            });
            RunTarget("Default");
            """);
        if (nugetConfig)
        {
            File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="qcowkit-local" value="{_feed}" />
                  </packageSources>
                </configuration>
                """);
        }
        var restore = DotNetCommand.Run(folder, TimeSpan.FromMinutes(3), "tool", "restore");
        Assert.That(restore.ExitCode, Is.Zero, restore.Describe);
        return DotNetCommand.Run(folder, TimeSpan.FromMinutes(5), "cake", "build.cake");
    }
}
