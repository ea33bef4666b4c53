using System.Reflection;
using QcowKit.Fixtures;
using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.Cake;

/// <summary>
/// The addin as a user meets it: a .cake script in a folder of its own that loads the built
/// Cake.QcowKit.dll with #r, run by the real `dotnet cake` from the repository's tool manifest.
/// </summary>
[TestFixture]
public sealed class CakeScriptTests
{
    private static readonly TimeSpan CakeTimeout = TimeSpan.FromMinutes(4);

    private TempDirectory _temp = null!;
    private string _script = null!;

    [OneTimeSetUp]
    public void RestoreToolsAndWriteScript()
    {
        var addin = typeof(CakeScriptTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == "CakeAddinPath").Value!;
        Assert.That(File.Exists(addin), Is.True, $"the Cake addin was not built at {addin}");

        var restore = DotNetCommand.Run(RepoPaths.Root, TimeSpan.FromMinutes(3), "tool", "restore");
        Assert.That(restore.ExitCode, Is.Zero, restore.Describe);

        _temp = new TempDirectory("cake-e2e");
        _script = _temp.File("qcow.cake");
        File.WriteAllText(_script, CakeScript.Text(addin));
    }

    [OneTimeTearDown]
    public void DeleteTemp() => _temp?.Dispose();

    [Test]
    public void Script_creates_seeds_validates_and_inspects_an_image_through_the_aliases()
    {
        var image = _temp.File("made-by-cake.qcow2");

        var run = RunScript(image);

        Assert.That(run.ExitCode, Is.Zero, run.Describe);
        var check = Qemu.Check(image);
        Assert.That(check.ExitCode, Is.Zero, "qemu-img check of the image the script made");
        Assert.That(run.StandardOutput, Does.Contain(
            $"qcowkit-e2e: virtual-size=67108864 cluster-size=65536 lazy-refcounts=True allocated={check.Report!["allocated-clusters"]}/{check.Report["total-clusters"]}"),
            run.Describe);
        var expected = new byte[64 << 20];
        QcowSeeder.FillGeneratedData(new GeneratedDataSeedOptions { Length = 2L << 20, Seed = 11, ZeroBlockPercent = 20 }, 0, expected.AsSpan(1 << 20, 2 << 20));
        Assert.That(Qemu.RawSha256(image), Is.EqualTo(Hashing.Sha256OfStream(new MemoryStream(expected))), "guest bytes qemu reads");
    }

    [Test]
    public void Script_fails_listing_the_findings_on_a_corrupt_fixture()
    {
        var fixture = QcowFixtures.Get("corrupt-refcount-zero");
        Assert.That(fixture.Expected.CheckExitCode, Is.EqualTo(2), "the fixture is expected to be corrupt");

        var run = RunScript(fixture.ImagePath);

        Assert.That(run.ExitCode, Is.Not.Zero, run.Describe);
        var output = run.StandardOutput + run.StandardError;
        Assert.That(output, Does.Contain($"qcow2 image {fixture.ImagePath} failed validation"), run.Describe);
        Assert.That(output, Does.Match(@"QCOW02\d\d ERROR at offset 0x[0-9a-f]+"), run.Describe);
        Assert.That(output, Does.Not.Contain("qcowkit-e2e:"), run.Describe);
    }

    private ProcessResult RunScript(string image) =>
        DotNetCommand.Run(RepoPaths.Root, CakeTimeout, "cake", _script, $"--image={image}", "--verbosity=normal");
}
