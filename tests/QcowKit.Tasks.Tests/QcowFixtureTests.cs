using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

public sealed class QcowFixtureTests
{
    private static (bool Ok, FakeBuildEngine Engine, QcowFixture Task) Run(string folder, Action<QcowFixture> configure)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowFixture { BuildEngine = engine, OutputDirectory = TestImages.Item(folder) };
        configure(task);
        var ok = task.Execute();
        return (ok, engine, task);
    }

    [Test]
    public void Named_fixtures_are_written_with_the_verdict_qemu_gives_them()
    {
        using var temp = new TempDirectory("fixture");
        var folder = Path.Combine(temp.Path, "fixtures");
        var (ok, engine, task) = Run(folder, t => t.Names = ["clean-v3", "corrupt-leak"]);
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(task.Images.Select(i => i.GetMetadata("Fixture")), Is.EqualTo(new[] { "clean-v3", "corrupt-leak" }));
        foreach (var image in task.Images)
        {
            Assert.That(Path.GetDirectoryName(image.ItemSpec), Is.EqualTo(folder));
            var qemu = Qemu.Check(image.ItemSpec);
            Assert.That(image.GetMetadata("CheckExitCode"), Is.EqualTo(qemu.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)), image.ItemSpec);
        }
        Assert.That(task.Images[1].GetMetadata("CheckExitCode"), Is.EqualTo("3"));
        Assert.That(task.Images[0].GetMetadata("GuestSha256"), Is.EqualTo(Qemu.RawSha256(task.Images[0].ItemSpec)));
    }

    [Test]
    public void Files_lists_backing_files_for_FileWrites()
    {
        using var temp = new TempDirectory("fixture");
        var (ok, engine, task) = Run(temp.Path, t => t.Names = ["clean-backing-qcow2"]);
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(task.Files, Has.Length.EqualTo(2));
        Assert.That(task.Files.Select(f => File.Exists(f.ItemSpec)), Is.All.True);
        Assert.That(task.Files.Select(f => f.ItemSpec), Does.Contain(task.Images.Single().ItemSpec));
    }

    [Test]
    public void Same_seed_gives_byte_identical_fixtures_and_another_seed_other_content()
    {
        using var temp = new TempDirectory("fixture");
        string Sha(string sub, string seed)
        {
            var (ok, engine, task) = Run(Path.Combine(temp.Path, sub), t => { t.Names = ["clean-v3"]; t.Seed = seed; });
            Assert.That(ok, Is.True, engine.Describe);
            return Hashing.Sha256OfFile(task.Images.Single().ItemSpec);
        }
        Assert.That(Sha("a", "7"), Is.EqualTo(Sha("b", "7")));
        Assert.That(Sha("c", "8"), Is.Not.EqualTo(Sha("a", "7")));
    }

    [Test]
    public void Unknown_name_fails_with_QCOW1031()
    {
        using var temp = new TempDirectory("fixture");
        var (ok, engine, task) = Run(temp.Path, t => t.Names = ["clean-v3", "no-such-fixture"]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1031"));
        Assert.That(engine.Errors.Single().Message, Does.Contain("no-such-fixture"));
        Assert.That(task.Images, Is.Empty, "nothing is written when a name is wrong");
    }

    [Test]
    public void Neither_names_nor_All_fails_with_QCOW1030()
    {
        using var temp = new TempDirectory("fixture");
        var (ok, engine, _) = Run(temp.Path, _ => { });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1030"));
    }

    [Test]
    public void Names_together_with_All_fails_with_QCOW1030()
    {
        using var temp = new TempDirectory("fixture");
        var (ok, engine, _) = Run(temp.Path, t => { t.Names = ["clean-v3"]; t.All = true; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1030"));
    }

    [Test]
    public void Malformed_seed_fails_with_QCOW1005()
    {
        using var temp = new TempDirectory("fixture");
        var (ok, engine, _) = Run(temp.Path, t => { t.Names = ["clean-v3"]; t.Seed = "seven"; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1005"));
    }

    [Test]
    public void Unwritable_folder_fails_with_QCOW1032()
    {
        using var temp = new TempDirectory("fixture");
        var blocker = temp.File("file.txt");
        File.WriteAllText(blocker, "a file, not a folder");
        var (ok, engine, _) = Run(Path.Combine(blocker, "fixtures"), t => t.Names = ["clean-v3"]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1032"), engine.Describe);
    }
}
