using System.Text.Json.Nodes;
using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

public sealed class QcowInfoTests
{
    private static (bool Ok, FakeBuildEngine Engine, QcowInfo Task) Run(string path, bool untrusted = false)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowInfo { BuildEngine = engine, Image = TestImages.Item(path), Untrusted = untrusted };
        var ok = task.Execute();
        return (ok, engine, task);
    }

    private static void AssertMatchesQemu(QcowInfo task, JsonObject qemu)
    {
        var data = qemu["format-specific"]!["data"]!;
        Assert.Multiple(() =>
        {
            Assert.That(task.Format, Is.EqualTo((string)qemu["format"]!));
            Assert.That(task.VirtualSize, Is.EqualTo((long)qemu["virtual-size"]!));
            Assert.That(task.ClusterSize, Is.EqualTo((int)qemu["cluster-size"]!));
            Assert.That(task.Dirty, Is.EqualTo((bool)qemu["dirty-flag"]!));
            Assert.That(task.Compat, Is.EqualTo((string)data["compat"]!));
            Assert.That(task.BackingFile, Is.EqualTo((string?)qemu["backing-filename"] ?? ""));
            Assert.That(task.FullBackingFile, Is.EqualTo((string?)qemu["full-backing-filename"] ?? ""));
            Assert.That(task.BackingFormat, Is.EqualTo((string?)qemu["backing-filename-format"] ?? ""));
            Assert.That(task.CompressionType, Is.EqualTo((string?)data["compression-type"] ?? "zlib"));
            Assert.That(task.LazyRefcounts, Is.EqualTo((bool?)data["lazy-refcounts"] ?? false));
            Assert.That(task.RefcountBits, Is.EqualTo((int)data["refcount-bits"]!));
            Assert.That(task.Corrupt, Is.EqualTo((bool?)data["corrupt"] ?? false));
            Assert.That(task.ExtendedL2, Is.EqualTo((bool?)data["extended-l2"] ?? false));
        });
    }

    [TestCase(null)]
    [TestCase("compat=0.10,cluster_size=4096")]
    [TestCase("cluster_size=2M,refcount_bits=64,lazy_refcounts=on")]
    [TestCase("compression_type=zstd,extended_l2=on,cluster_size=128k")]
    public void Outputs_match_qemu_img_info(string? options)
    {
        using var temp = new TempDirectory("info");
        var path = TestImages.Clean(temp, "disk.qcow2", options);
        var (ok, engine, task) = Run(path);
        Assert.That(ok, Is.True, engine.Describe);
        AssertMatchesQemu(task, Qemu.Info(path));
        Assert.That(task.Version, Is.EqualTo(task.Compat == "0.10" ? 2 : 3));
        Assert.That(long.Parse(task.ActualSize, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0));
    }

    [Test]
    public void Backing_file_outputs_match_qemu_img_info()
    {
        using var temp = new TempDirectory("info");
        TestImages.Clean(temp, "base.qcow2");
        var overlay = temp.File("overlay.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay);
        var (ok, engine, task) = Run(overlay);
        Assert.That(ok, Is.True, engine.Describe);
        AssertMatchesQemu(task, Qemu.Info(overlay));
        Assert.That(task.BackingFile, Is.EqualTo("base.qcow2"));
    }

    [Test]
    public void Untrusted_reads_the_header_without_opening_a_missing_backing_file()
    {
        using var temp = new TempDirectory("info");
        var backing = TestImages.Clean(temp, "base.qcow2");
        var overlay = temp.File("overlay.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay);
        File.Delete(backing);
        var (trusting, _, _) = Run(overlay);
        Assert.That(trusting, Is.False, "a missing backing file fails like qemu-img info");
        var (ok, engine, task) = Run(overlay, untrusted: true);
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(task.BackingFile, Is.EqualTo(backing));
    }

    [Test]
    public void Snapshots_and_bitmaps_are_listed_as_items()
    {
        using var temp = new TempDirectory("info");
        var path = TestImages.Clean(temp, "disk.qcow2");
        Qemu.ImgOk("snapshot", "-c", "before-upgrade", path);
        Qemu.ImgOk("bitmap", "--add", "-g", "128k", path, "changes");
        var (ok, engine, task) = Run(path);
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(task.Snapshots.Select(s => s.ItemSpec), Is.EqualTo(new[] { "before-upgrade" }));
        Assert.That(task.Snapshots[0].GetMetadata("Id"), Is.EqualTo("1"));
        Assert.That(task.Bitmaps.Select(b => b.ItemSpec), Is.EqualTo(new[] { "changes" }));
        Assert.That(task.Bitmaps[0].GetMetadata("Granularity"), Is.EqualTo("131072"));
    }

    [Test]
    public void Dirty_flag_is_reported()
    {
        using var temp = new TempDirectory("info");
        var path = TestImages.Dirty(temp);
        var (ok, engine, task) = Run(path);
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(task.Dirty, Is.True);
        Assert.That(task.LazyRefcounts, Is.True);
    }

    [Test]
    public void Missing_image_fails_with_QCOW1001()
    {
        using var temp = new TempDirectory("info");
        var (ok, engine, _) = Run(temp.File("absent.qcow2"));
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1001"));
    }

    [Test]
    public void Folder_in_place_of_an_image_fails_with_QCOW1002()
    {
        using var temp = new TempDirectory("info");
        var (ok, engine, _) = Run(Directory.CreateDirectory(temp.File("folder.qcow2")).FullName);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1002"));
    }

    [Test]
    public void File_that_is_not_qcow2_fails_with_QCOW1003_naming_the_field()
    {
        using var temp = new TempDirectory("info");
        var path = TestImages.NotQcow(temp);
        var (ok, engine, _) = Run(path);
        Assert.That(ok, Is.False);
        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1003"));
        Assert.That(error.File, Is.EqualTo(path));
        Assert.That(error.Message, Does.Contain("magic"));
    }

    [Test]
    public void Broken_header_field_fails_with_QCOW1003_naming_the_field()
    {
        using var temp = new TempDirectory("info");
        var path = TestImages.Clean(temp);
        QcowByteEdits.Poke(path, 20, [0, 0, 0, 30]);
        var (ok, engine, _) = Run(path);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1003"));
        Assert.That(engine.Errors.Single().Message, Does.Contain("cluster_bits"));
    }

    [Test]
    public void Encrypted_image_fails_with_QCOW1004()
    {
        using var temp = new TempDirectory("info");
        var (ok, engine, _) = Run(TestImages.Encrypted(temp));
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1004"));
    }
}
