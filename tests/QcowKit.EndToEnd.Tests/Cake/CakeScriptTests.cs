using System.Reflection;
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
    public void Script_creates_validates_and_inspects_an_image_through_the_aliases()
    {
        var image = _temp.File("made-by-cake.qcow2");

        var run = RunScript(image);

        Assert.That(run.ExitCode, Is.Zero, run.Describe);
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero, "qemu-img check of the image the script made");
        var check = Qemu.Check(image).Report!;
        Assert.That(run.StandardOutput, Does.Contain(
            $"qcowkit-e2e: virtual-size=67108864 cluster-size=65536 lazy-refcounts=True allocated={(long?)check["allocated-clusters"] ?? 0}/{check["total-clusters"]}"),
            run.Describe);
    }

    [Test]
    public void Script_validates_and_inspects_an_image_qemu_wrote()
    {
        var image = _temp.File("made-by-qemu.qcow2");
        Qemu.CreateQcow2(image, "64M", "cluster_size=65536");
        Qemu.Io(image, "write -P 0x11 0 1M", "write -P 0x22 16M 64k");

        var run = RunScript(image);

        Assert.That(run.ExitCode, Is.Zero, run.Describe);
        var check = Qemu.Check(image).Report!;
        Assert.That(run.StandardOutput, Does.Contain(
            $"qcowkit-e2e: virtual-size=67108864 cluster-size=65536 lazy-refcounts=False allocated={(long?)check["allocated-clusters"] ?? 0}/{check["total-clusters"]}"),
            run.Describe);
    }

    [Test]
    public void Script_fails_listing_the_findings_on_a_corrupt_image()
    {
        // qemu itself leaves this corruption: lazy refcounts defer refcount updates, and qemu-io's
        // abort kills it before they are written (qemu-iotests 039).
        var image = _temp.File("corrupt.qcow2");
        Qemu.CreateQcow2(image, "64M", "lazy_refcounts=on");
        ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "write -P 0x5a 0 512", "-c", "abort", image]);
        Assert.That(Qemu.Check(image).ExitCode, Is.EqualTo(2), "qemu should call the image corrupt");

        var run = RunScript(image);

        Assert.That(run.ExitCode, Is.Not.Zero, run.Describe);
        var output = run.StandardOutput + run.StandardError;
        Assert.That(output, Does.Contain("failed validation"), run.Describe);
        Assert.That(output, Does.Match(@"QCOW02\d\d ERROR at offset 0x[0-9a-f]+"), run.Describe);
        Assert.That(output, Does.Not.Contain("qcowkit-e2e:"), run.Describe);
    }

    private ProcessResult RunScript(string image) =>
        DotNetCommand.Run(RepoPaths.Root, CakeTimeout, "cake", _script, $"--image={image}", "--verbosity=normal");
}
