using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using QcowKit.EndToEnd.Tests.Cake;
using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.Tool;

/// <summary>
/// The qcowkit tool as a user gets it: packed by build.cs's ToolPack target (the same code as its Pack step) into a
/// local folder, installed with `dotnet tool install --tool-path`, and run as the installed command, not through
/// `dotnet`. On linux-x64 the install must pick the NativeAOT package.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NativeToolTests
{
    private const string PackageId = "QcowKit.Cli";

    private TempDirectory? _root;
    private string _feed = "";
    private string _tools = "";
    private string _version = "";

    private string Qcowkit => Path.Combine(_tools, "qcowkit");

    [OneTimeSetUp]
    public void PackAndInstallOnce()
    {
        // One pack and one install per test run: the NativeAOT compile is most of this fixture's time.
        var clock = Stopwatch.StartNew();
        _root = new TempDirectory("native-tool");
        _feed = Path.Combine(_root.Path, "feed");
        _tools = Path.Combine(_root.Path, "tools");
        var pack = DotNetCommand.Run(RepoPaths.Root, TimeSpan.FromMinutes(15),
            "run", Path.Combine(RepoPaths.Root, "build.cs"), "--", "--target=ToolPack", $"--packages={_feed}");
        Assert.That(pack.ExitCode, Is.Zero, pack.Describe);
        var packed = clock.Elapsed;

        var pointer = Directory.GetFiles(_feed, PackageId + ".*.nupkg")
            .Single(file => char.IsAsciiDigit(Path.GetFileName(file)[(PackageId.Length + 1)..][0]));
        _version = Path.GetFileNameWithoutExtension(pointer)[(PackageId.Length + 1)..];

        // The user's command from the README. The nuget.config beside it lists no other source, so the install is
        // offline and cannot pick up a QcowKit.Cli from anywhere but the folder; the private package cache keeps a
        // same-version package from an earlier run from standing in for this one.
        var workDirectory = Directory.CreateDirectory(Path.Combine(_root.Path, "work")).FullName;
        File.WriteAllText(Path.Combine(workDirectory, "nuget.config"), """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
              </packageSources>
            </configuration>
            """);
        var install = ProcessRunner.Run(DotNetCommand.Executable,
            ["tool", "install", "--tool-path", _tools, "--add-source", _feed, PackageId, "--version", _version],
            workDirectory, TimeSpan.FromMinutes(3), new Dictionary<string, string?>
            {
                ["NUGET_PACKAGES"] = Path.Combine(_root.Path, "nuget-cache"),
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            });
        Assert.That(install.ExitCode, Is.Zero, install.Describe);
        TestContext.Progress.WriteLine($"native tool fixture: ToolPack {packed.TotalSeconds:F1} s, install {(clock.Elapsed - packed).TotalSeconds:F1} s");
    }

    [OneTimeTearDown]
    public void Remove() => _root?.Dispose();

    [Test]
    public void Pack_makes_the_pointer_package_and_one_package_per_runtime_identifier()
    {
        Assert.That(Directory.GetFiles(_feed, "*.nupkg").Select(Path.GetFileName), Is.EquivalentTo(new[]
        {
            $"{PackageId}.{_version}.nupkg", $"{PackageId}.linux-x64.{_version}.nupkg", $"{PackageId}.any.{_version}.nupkg",
        }));
        using var pointer = ZipFile.OpenRead(Path.Combine(_feed, $"{PackageId}.{_version}.nupkg"));
        var settings = XDocument.Load(pointer.Entries.Single(e => e.Name == "DotnetToolSettings.xml").Open());
        var rids = settings.Descendants().Where(e => e.Name.LocalName == "RuntimeIdentifierPackage")
            .Select(e => (string?)e.Attribute("RuntimeIdentifier")).ToList();
        Assert.That(rids, Is.EquivalentTo(new[] { "linux-x64", "any" }), settings.ToString());
        Assert.That(settings.Descendants().Single(e => e.Name.LocalName == "Command").Attribute("Name")?.Value, Is.EqualTo("qcowkit"));

        // The portable fallback carries the managed CLI, run by `dotnet` where no native package fits.
        using var any = ZipFile.OpenRead(Path.Combine(_feed, $"{PackageId}.any.{_version}.nupkg"));
        Assert.That(any.Entries.Select(e => e.Name), Does.Contain("QcowKit.Cli.dll"));
    }

    [Test]
    public void Installed_command_is_the_native_executable()
    {
        // The command is a link to, or a copy of, the package's entry point; either way what runs must be the
        // NativeAOT ELF executable, with no managed QcowKit.Cli.dll beside it and no .NET host (an apphost or the
        // `dotnet` launcher loads libhostfxr.so; a NativeAOT executable has the runtime compiled in).
        var command = new FileInfo(Qcowkit);
        Assert.That(command.Exists, Is.True, $"no {Qcowkit} after the install");
        var entry = command.LinkTarget is null ? command : (FileInfo)command.ResolveLinkTarget(returnFinalTarget: true)!;
        var bytes = File.ReadAllBytes(entry.FullName);
        Assert.That(bytes.AsSpan(0, 4).ToArray(), Is.EqualTo(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }), $"{entry.FullName} is not an ELF executable");
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes), Does.Not.Contain("libhostfxr.so"), $"{entry.FullName} is a .NET host, not the native tool");

        var store = Path.Combine(_tools, ".store");
        Assert.That(Directory.GetFiles(store, "QcowKit.Cli.dll", SearchOption.AllDirectories), Is.Empty,
            "the managed CLI was installed: the portable package was chosen instead of linux-x64");
        Assert.That(Directory.GetFiles(store, "QcowKit.Cli", SearchOption.AllDirectories).Select(f => Path.GetFileName(Path.GetDirectoryName(f))),
            Has.Some.EqualTo("linux-x64"));
    }

    [Test]
    public void Installed_command_prints_the_package_version()
    {
        var result = ProcessRunner.Run(Qcowkit, ["--version"], timeout: TimeSpan.FromSeconds(30));

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(result.StandardOutput.Trim(), Does.StartWith(_version), result.Describe);
    }

    [Test]
    public void Installed_command_describes_and_checks_an_image_as_qemu_img_does()
    {
        using var temp = new TempDirectory("native-tool-info");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "64M");
        Qemu.Io(image, "write -P 0x5a 1M 3M");
        var expected = Qemu.Info(image);

        var human = ProcessRunner.Run(Qcowkit, ["info", image], timeout: TimeSpan.FromSeconds(30));
        var json = ProcessRunner.Run(Qcowkit, ["info", "--output=json", image], timeout: TimeSpan.FromSeconds(30));
        var check = ProcessRunner.Run(Qcowkit, ["check", image], timeout: TimeSpan.FromSeconds(30));

        Assert.That(human.ExitCode, Is.Zero, human.Describe);
        Assert.That(human.StandardOutput, Does.Contain("file format: qcow2").And.Contain("virtual size: 64 MiB (67108864 bytes)"), human.Describe);
        Assert.That(json.ExitCode, Is.Zero, json.Describe);
        var actual = (JsonObject)JsonNode.Parse(json.StandardOutput)!;
        foreach (var key in new[] { "virtual-size", "cluster-size", "format", "actual-size" })
        {
            Assert.That(actual[key]?.ToJsonString(), Is.EqualTo(expected[key]?.ToJsonString()), $"{key}\n{json.StandardOutput}");
        }
        Assert.That(check.ExitCode, Is.Zero, check.Describe);
        Assert.That(check.StandardOutput, Does.Contain("No errors were found on the image."), check.Describe);
    }
}
