using System.IO.Compression;
using System.Xml.Linq;
using QcowKit.EndToEnd.Tests.Cake;
using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.Packages;

/// <summary>
/// What a package feed shows for every package we ship: a readme, the MIT license, where the source lives, and one
/// version across all of them. Packs each packable project once (Debug: incremental after a solution test run).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PackageMetadataTests
{
    /// <summary>The packable projects (all of src/ and tasks/) and the package id each makes.</summary>
    private static readonly (string Project, string PackageId)[] Packable =
    [
        ("src/QcowKit/QcowKit.csproj", "QcowKit"),
        ("src/QcowKit.Fixtures/QcowKit.Fixtures.csproj", "QcowKit.Fixtures"),
        ("src/QcowKit.Cli/QcowKit.Cli.csproj", "QcowKit.Cli"),
        ("src/Cake.QcowKit/Cake.QcowKit.csproj", "Cake.QcowKit"),
        ("tasks/QcowKit.Tasks/QcowKit.Tasks.csproj", "QcowKit.MSBuild"),
    ];

    private TempDirectory? _output;

    private string Output => _output?.Path ?? throw new InvalidOperationException("OneTimeSetUp did not run");

    [OneTimeSetUp]
    public void PackEveryProjectOnce()
    {
        _output = new TempDirectory("package-metadata");
        foreach (var (project, _) in Packable)
        {
            var result = DotNetCommand.Run(RepoPaths.Root, TimeSpan.FromMinutes(5),
                "pack", Path.Combine(RepoPaths.Root, project), "-c", "Debug", "-o", Output, "-nodeReuse:false");
            Assert.That(result.ExitCode, Is.Zero, result.Describe);
        }
    }

    [OneTimeTearDown]
    public void Remove() => _output?.Dispose();

    [Test]
    public void The_list_covers_every_project_under_src_and_tasks()
    {
        // A new shipped project must be added to the list above, or its package would go unchecked.
        var projects = new[] { "src", "tasks" }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(RepoPaths.Root, folder), "*.csproj", SearchOption.AllDirectories))
            .Select(path => Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/'));
        Assert.That(projects, Is.EquivalentTo(Packable.Select(p => p.Project)));
    }

    [TestCaseSource(nameof(PackageIds))]
    public void Package_has_a_readme_the_mit_license_and_the_repository(string packageId)
    {
        using var package = ZipFile.OpenRead(PackageFile(packageId));
        var metadata = Metadata(package);
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

        var readme = Value("readme");
        Assert.That(readme, Is.Not.Null.And.Not.Empty, $"{packageId} has no <readme>");
        var readmeEntry = package.Entries.SingleOrDefault(e => e.FullName == readme);
        Assert.That(readmeEntry, Is.Not.Null, $"{packageId}: the readme {readme} is not in the package");
        Assert.That(readmeEntry!.Length, Is.GreaterThan(100), $"{packageId}: the readme {readme} is (nearly) empty");

        var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.That((license.Attribute("type")?.Value, license.Value), Is.EqualTo(("expression", "MIT")));

        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.That(repository.Attribute("url")?.Value, Does.StartWith("https://"), repository.ToString());
        Assert.That(repository.Attribute("type")?.Value, Is.EqualTo("git"), repository.ToString());
    }

    [Test]
    public void Every_package_has_the_same_version()
    {
        var versions = PackageIds().ToDictionary(id => id, id =>
        {
            using var package = ZipFile.OpenRead(PackageFile(id));
            return Metadata(package).Elements().Single(e => e.Name.LocalName == "version").Value;
        });
        Assert.That(versions.Values.Distinct(), Has.Exactly(1).Items, string.Join(", ", versions.Select(v => $"{v.Key} {v.Value}")));
    }

    private static IEnumerable<string> PackageIds() => Packable.Select(p => p.PackageId);

    /// <summary>The package file of <paramref name="packageId"/> (QcowKit.1.0.0.nupkg, not QcowKit.Fixtures.1.0.0.nupkg).</summary>
    private string PackageFile(string packageId) =>
        Directory.GetFiles(Output, packageId + ".*.nupkg")
            .Single(file => char.IsAsciiDigit(Path.GetFileName(file)[(packageId.Length + 1)..][0]));

    private static XElement Metadata(ZipArchive package)
    {
        using var nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }
}
