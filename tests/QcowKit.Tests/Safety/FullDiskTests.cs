using QcowKit.Image;
using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Safety;

/// <summary>Outputs that do not fit an 8 MiB tmpfs: a clear error naming the file, nothing left, old bytes kept.</summary>
[TestFixture]
[NonParallelizable]
public sealed class FullDiskTests
{
    private TempDirectory? _temp;
    private string _mount = "";

    [SetUp]
    public void MountSmallTmpfs()
    {
        _temp = new TempDirectory("enospc");
        _mount = _temp.File("small");
        Directory.CreateDirectory(_mount);
        var result = ProcessRunner.Run("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", _mount]);
        Assert.That(result.ExitCode, Is.Zero, () => "mounting a tmpfs needs root (CI runs as root): " + result.Describe());
    }

    [TearDown]
    public void Unmount()
    {
        ProcessRunner.Run("umount", [_mount]);
        _temp?.Dispose();
    }

    private string OldDestination(string name)
    {
        var path = Path.Combine(_mount, name);
        File.WriteAllText(path, "old bytes");
        return path;
    }

    private void AssertNothingLeft(string destination)
    {
        Assert.That(File.ReadAllText(destination), Is.EqualTo("old bytes"));
        Assert.That(Directory.GetFiles(_mount).Select(Path.GetFileName), Is.EquivalentTo(new[] { Path.GetFileName(destination) }));
    }

    [TestCase("raw")]
    [TestCase("qcow2")]
    public void Convert_into_a_full_disk_names_the_destination_and_leaves_it_unchanged(string format)
    {
        var source = _temp!.File("source.raw");
        var data = new byte[32 << 20];
        new Random(7).NextBytes(data);
        File.WriteAllBytes(source, data);
        var destination = OldDestination("out." + format);
        var ex = Assert.Throws<IOException>(() => QcowConverter.Convert(source, QcowImageFormat.Raw, destination, new QcowConvertOptions { OutputFormat = QemuNames.ParseImageFormat(format) }));
        Assert.That(ex!.Message, Does.Contain(destination).And.Contain("No space left on device"));
        AssertNothingLeft(destination);
    }

    [Test]
    public void Create_with_full_preallocation_into_a_full_disk_leaves_the_destination_unchanged()
    {
        var destination = OldDestination("new.qcow2");
        var ex = Assert.Throws<IOException>(() => QcowImage.Create(destination, new QcowCreateOptions { Size = 32 << 20, Preallocation = QcowPreallocation.Full }).Dispose());
        Assert.That(ex!.Message, Does.Contain(destination));
        AssertNothingLeft(destination);
    }

    [Test]
    public void Seed_into_a_full_disk_leaves_the_destination_unchanged()
    {
        var destination = OldDestination("seed.raw");
        Assert.That(() => QcowSeeder.WriteGeneratedData(destination, new GeneratedDataSeedOptions { Length = 32 << 20 },
            new SeedTargetOptions { Overwrite = true, Format = QcowImageFormat.Raw }), Throws.InstanceOf<IOException>().With.Message.Contain(destination));
        AssertNothingLeft(destination);
    }
}
