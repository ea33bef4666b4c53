using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using QcowKit.EndToEnd.Tests.Cake;
using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.Packages;

/// <summary>
/// What a package feed shows for every package we ship: a readme, the MIT license, an icon, tags, release notes, where
/// the source lives at which commit, a symbol package, and one version across all of them. Packs each packable project
/// once (Debug: incremental after a solution test run), and the tool's portable package (`-r any`), which carries
/// its symbols.
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

    /// <summary>The package that has the tool's symbols (the pointer package has no assembly, the native one no .pdb).</summary>
    private const string ToolSymbolsPackageId = "QcowKit.Cli.any";

    private TempDirectory? _output;
    private string _head = "";

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
        var portable = DotNetCommand.Run(RepoPaths.Root, TimeSpan.FromMinutes(5),
            "pack", Path.Combine(RepoPaths.Root, "src/QcowKit.Cli/QcowKit.Cli.csproj"), "-c", "Debug", "-r", "any", "-o", Output, "-nodeReuse:false");
        Assert.That(portable.ExitCode, Is.Zero, portable.Describe);
        _head = Git("rev-parse", "HEAD");
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

    [TestCaseSource(nameof(PackageIds))]
    public void Package_has_the_icon(string packageId)
    {
        using var package = ZipFile.OpenRead(PackageFile(packageId));
        var icon = Value(Metadata(package), "icon");

        Assert.That(icon, Is.EqualTo("icon.png"), $"{packageId} has no <icon>");
        var entry = package.Entries.SingleOrDefault(e => e.FullName == icon);
        Assert.That(entry, Is.Not.Null, $"{packageId}: {icon} is not in the package");
        using var stream = entry!.Open();
        var signature = new byte[8];
        stream.ReadExactly(signature);
        Assert.That(signature, Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), "not a PNG");
        Assert.That(File.ReadAllBytes(Path.Combine(RepoPaths.Root, "docs", "icon.png")), Has.Length.EqualTo(entry.Length), "not docs/icon.png");
    }

    [TestCaseSource(nameof(PackageIds))]
    public void Package_has_tags_and_cake_addins_have_cakes_tags(string packageId)
    {
        using var package = ZipFile.OpenRead(PackageFile(packageId));
        var tags = (Value(Metadata(package), "tags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.That(tags, Does.Contain("qcow2").And.Contain("qemu"), packageId);
        if (packageId.StartsWith("Cake.", StringComparison.Ordinal))
        {
            // Cake's addin conventions (what its addin discovery searches for).
            Assert.That(tags, Does.Contain("cake-addin").And.Contain("cake-build"));
        }
    }

    [TestCaseSource(nameof(PackageIds))]
    public void Package_release_notes_are_the_newest_changelog_section(string packageId)
    {
        using var package = ZipFile.OpenRead(PackageFile(packageId));
        var notes = Value(Metadata(package), "releaseNotes");

        var changelog = File.ReadAllText(Path.Combine(RepoPaths.Root, "CHANGELOG.md")).ReplaceLineEndings("\n");
        var newest = Regex.Match(changelog, "(?ms)^## .*?(?=^## |\\z)").Value.Trim();
        Assert.That(newest, Is.Not.Empty, "CHANGELOG.md has no '## ' section");
        Assert.That(notes?.ReplaceLineEndings("\n"), Is.EqualTo(newest), packageId);
    }

    [TestCaseSource(nameof(PackageIds))]
    public void Package_names_the_commit_it_was_packed_from(string packageId)
    {
        using var package = ZipFile.OpenRead(PackageFile(packageId));
        var repository = Metadata(package).Elements().Single(e => e.Name.LocalName == "repository");

        Assert.That(repository.Attribute("commit")?.Value, Is.EqualTo(_head), repository.ToString());
        Assert.That(repository.Attribute("url")?.Value, Is.EqualTo("https://github.com/qcowkit/qcowkit"), repository.ToString());
    }

    [TestCaseSource(nameof(SymbolPackageIds))]
    public void Symbol_package_has_the_pdbs_with_source_link_to_the_commit(string packageId)
    {
        var nupkg = PackageFile(packageId);
        var snupkg = Path.ChangeExtension(nupkg, ".snupkg");
        Assert.That(File.Exists(snupkg), Is.True, $"no {Path.GetFileName(snupkg)}");
        using var symbols = ZipFile.OpenRead(snupkg);
        var pdbs = symbols.Entries.Where(e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal)).ToList();
        Assert.That(pdbs, Is.Not.Empty, $"{packageId}: the symbol package has no .pdb");

        // The portable PDB's source link JSON, stored uncompressed: sources resolve to the repository at this commit.
        var ownPdb = pdbs.First(e => Path.GetFileNameWithoutExtension(e.Name).StartsWith(packageId.Replace(".MSBuild", ".Tasks", StringComparison.Ordinal).Replace(".any", "", StringComparison.Ordinal), StringComparison.Ordinal));
        using var stream = ownPdb.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var text = System.Text.Encoding.UTF8.GetString(memory.ToArray());
        Assert.That(text, Does.Contain($"https://raw.githubusercontent.com/qcowkit/qcowkit/{_head}/*"), $"{ownPdb.FullName} has no source link to the commit");
    }

    [Test]
    public void Version_comes_from_git_and_the_tools_packages_have_it_too()
    {
        var versions = PackageIds().Append(ToolSymbolsPackageId).Select(id =>
        {
            using var package = ZipFile.OpenRead(PackageFile(id));
            return Value(Metadata(package), "version");
        }).Distinct().ToList();

        Assert.That(versions, Has.Count.EqualTo(1), string.Join(", ", versions));
        var described = DescribeTag();
        if (described is null)
        {
            // No v* tag: 0.1.0-dev.N, N counting the commits up to HEAD.
            Assert.That(versions[0], Does.Match(@"^0\.1\.0-dev\.[0-9]+$"));
        }
        else
        {
            Assert.That(versions[0], Does.StartWith(described.TrimStart('v').Split('-')[0].Split('.')[0] + "."), $"tag {described}");
        }
    }

    private static IEnumerable<string> PackageIds() => Packable.Select(p => p.PackageId);

    /// <summary>Every package with code has a .snupkg; the tool's is its portable package's (see <see cref="ToolSymbolsPackageId"/>).</summary>
    private static IEnumerable<string> SymbolPackageIds() => PackageIds().Select(id => id == "QcowKit.Cli" ? ToolSymbolsPackageId : id);

    private static string? Value(XElement metadata, string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    private static string Git(params string[] args)
    {
        var result = ProcessRunner.Run("git", args, RepoPaths.Root, TimeSpan.FromMinutes(1));
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        return result.StandardOutput.Trim();
    }

    /// <summary>The newest v* tag before HEAD, or null when the repository has none.</summary>
    private static string? DescribeTag()
    {
        var result = ProcessRunner.Run("git", ["describe", "--tags", "--abbrev=0", "--match", "v*"], RepoPaths.Root, TimeSpan.FromMinutes(1));
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }

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
