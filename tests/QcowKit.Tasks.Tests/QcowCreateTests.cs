using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

public sealed class QcowCreateTests
{
    private static (bool Ok, FakeBuildEngine Engine, QcowCreate Task) Run(string path, Action<QcowCreate> configure)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowCreate { BuildEngine = engine, Image = TestImages.Item(path) };
        configure(task);
        var ok = task.Execute();
        return (ok, engine, task);
    }

    [Test]
    public void Creates_an_image_qemu_calls_clean_with_the_requested_geometry()
    {
        using var temp = new TempDirectory("create");
        var path = temp.File("disk.qcow2");
        var (ok, engine, task) = Run(path, t => { t.Size = "64M"; t.ClusterSize = "4k"; t.Compat = "0.10"; });
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(Qemu.Check(path).ExitCode, Is.Zero);
        var info = Qemu.Info(path);
        Assert.That((long)info["virtual-size"]!, Is.EqualTo(64L << 20));
        Assert.That((int)info["cluster-size"]!, Is.EqualTo(4096));
        Assert.That((string)info["format-specific"]!["data"]!["compat"]!, Is.EqualTo("0.10"));
        Assert.That(task.Image.ItemSpec, Is.EqualTo(path), "Image is the output a target adds to FileWrites");
    }

    [Test]
    public void Parameters_override_the_qemu_option_list()
    {
        using var temp = new TempDirectory("create");
        var path = temp.File("disk.qcow2");
        var (ok, engine, _) = Run(path, t => { t.Size = "16M"; t.Options = "cluster_size=4096,lazy_refcounts=on"; t.ClusterSize = "128k"; });
        Assert.That(ok, Is.True, engine.Describe);
        var info = Qemu.Info(path);
        Assert.That((int)info["cluster-size"]!, Is.EqualTo(131072));
        Assert.That((bool)info["format-specific"]!["data"]!["lazy-refcounts"]!, Is.True);
    }

    [Test]
    public void Boolean_parameters_take_msbuild_spelling()
    {
        using var temp = new TempDirectory("create");
        var path = temp.File("disk.qcow2");
        var (ok, engine, _) = Run(path, t => { t.Size = "16M"; t.ExtendedL2 = "True"; t.LazyRefcounts = "False"; t.CompressionType = "zstd"; t.RefcountBits = "8"; });
        Assert.That(ok, Is.True, engine.Describe);
        var data = Qemu.Info(path)["format-specific"]!["data"]!;
        Assert.That((bool)data["extended-l2"]!, Is.True);
        Assert.That((bool)data["lazy-refcounts"]!, Is.False);
        Assert.That((string)data["compression-type"]!, Is.EqualTo("zstd"));
        Assert.That((int)data["refcount-bits"]!, Is.EqualTo(8));
        Assert.That(Qemu.Check(path).ExitCode, Is.Zero);
    }

    [Test]
    public void Overlay_takes_its_size_from_the_backing_file()
    {
        using var temp = new TempDirectory("create");
        var backing = TestImages.Clean(temp, "base.qcow2");
        var overlay = temp.File("overlay.qcow2");
        var (ok, engine, _) = Run(overlay, t => { t.BackingFile = backing; t.BackingFormat = "qcow2"; });
        Assert.That(ok, Is.True, engine.Describe);
        var info = Qemu.Info(overlay);
        Assert.That((long)info["virtual-size"]!, Is.EqualTo(4L << 20));
        Assert.That((string)info["backing-filename"]!, Is.EqualTo(backing));
        Assert.That(Qemu.Compare(overlay, backing), Is.Zero);
    }

    [Test]
    public void Preallocated_metadata_image_is_clean()
    {
        using var temp = new TempDirectory("create");
        var path = temp.File("disk.qcow2");
        var (ok, engine, _) = Run(path, t => { t.Size = "8M"; t.Preallocation = "metadata"; });
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(Qemu.Check(path).ExitCode, Is.Zero);
    }

    [Test]
    public void Missing_folders_are_created()
    {
        using var temp = new TempDirectory("create");
        var path = Path.Combine(temp.Path, "a", "b", "disk.qcow2");
        var (ok, engine, _) = Run(path, t => t.Size = "1M");
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(Qemu.Check(path).ExitCode, Is.Zero);
    }

    [TestCase("ClusterSize", "3000", "Cluster size must be a power of two")]
    [TestCase("Compat", "2.0", "does not accept value '2.0'")]
    [TestCase("Size", "lots", "expects a non-negative number")]
    [TestCase("Options", "frobnicate=on", "Invalid parameter 'frobnicate'")]
    [TestCase("ExtendedL2", "maybe", "expects 'on' or 'off'")]
    public void Bad_option_fails_with_QCOW1010_and_qemus_words(string parameter, string value, string expected)
    {
        using var temp = new TempDirectory("create");
        var path = temp.File("disk.qcow2");
        var (ok, engine, _) = Run(path, t =>
        {
            t.Size = "1M";
            typeof(QcowCreate).GetProperty(parameter)!.SetValue(t, value);
        });
        Assert.That(ok, Is.False);
        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1010"));
        Assert.That(error.File, Is.EqualTo(path));
        Assert.That(error.Message, Does.Contain(expected));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void Refused_combination_fails_with_QCOW1010()
    {
        using var temp = new TempDirectory("create");
        var path = temp.File("disk.qcow2");
        var (ok, engine, _) = Run(path, t => { t.Size = "1M"; t.ExtendedL2 = "true"; t.ClusterSize = "4k"; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1010"));
        Assert.That(engine.Errors.Single().Message, Does.Contain("Extended L2"));
    }

    [Test]
    public void Missing_size_without_backing_file_fails_with_QCOW1010()
    {
        using var temp = new TempDirectory("create");
        var (ok, engine, _) = Run(temp.File("disk.qcow2"), _ => { });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1010"), engine.Describe);
    }

    [Test]
    public void Unwritable_destination_fails_with_QCOW1011()
    {
        using var temp = new TempDirectory("create");
        var blocker = temp.File("file.txt");
        File.WriteAllText(blocker, "a file, not a folder");
        var path = Path.Combine(blocker, "disk.qcow2");
        var (ok, engine, _) = Run(path, t => t.Size = "1M");
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1011"), engine.Describe);
    }
}
