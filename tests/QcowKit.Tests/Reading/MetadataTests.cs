using System.Text.Json.Nodes;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

public class MetadataTests
{
    [Test]
    public void Exposes_internal_snapshots_like_qemu_img_info()
    {
        using var temp = new TempDirectory("snap");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "2M");
        Qemu.Io(path, "write -P 0x01 0 64k");
        Qemu.ImgOk("snapshot", "-c", "first", path);
        Qemu.Io(path, "write -P 0x02 0 64k");
        Qemu.ImgOk("snapshot", "-c", "second one", path);
        Qemu.Io(path, "write -P 0x03 0 64k");
        GuestBytes.AssertSameAsQemu(path, oddChunks: false);
        var expected = Qemu.Info(path)["snapshots"]!.AsArray();
        using var image = QcowImage.Open(path);
        Assert.That(image.Snapshots, Has.Count.EqualTo(2));
        for (var i = 0; i < expected.Count; i++)
        {
            var theirs = expected[i]!.AsObject();
            var ours = image.Snapshots[i];
            Assert.That(ours.Id, Is.EqualTo((string)theirs["id"]!));
            Assert.That(ours.Name, Is.EqualTo((string)theirs["name"]!));
            Assert.That(ours.VmStateSize, Is.EqualTo((ulong)theirs["vm-state-size"]!));
            Assert.That(ours.DateSeconds, Is.EqualTo((uint)theirs["date-sec"]!));
            Assert.That(ours.DateNanoseconds, Is.EqualTo((uint)theirs["date-nsec"]!));
            Assert.That(ours.VmClockNanoseconds, Is.EqualTo(((ulong)theirs["vm-clock-sec"]! * 1_000_000_000UL) + (ulong)theirs["vm-clock-nsec"]!));
            Assert.That(ours.DiskSize, Is.EqualTo(2UL * 1024 * 1024));
        }
    }

    [Test]
    public void Exposes_persistent_bitmaps_like_qemu_img_info()
    {
        using var temp = new TempDirectory("bitmap");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "2M");
        Qemu.ImgOk("bitmap", "--add", "-g", "128k", path, "tracking");
        Qemu.ImgOk("bitmap", "--add", "--disable", path, "frozen");
        Qemu.Io(path, "write -P 0x09 0 64k");
        GuestBytes.AssertSameAsQemu(path, oddChunks: false);
        var expected = Qemu.Info(path)["format-specific"]!["data"]!["bitmaps"]!.AsArray();
        using var image = QcowImage.Open(path);
        var info = image.GetInfo();
        Assert.That(info.Bitmaps, Has.Count.EqualTo(expected.Count));
        for (var i = 0; i < expected.Count; i++)
        {
            var theirs = expected[i]!.AsObject();
            Assert.That(info.Bitmaps[i].Name, Is.EqualTo((string)theirs["name"]!));
            Assert.That(info.Bitmaps[i].Granularity, Is.EqualTo((long)theirs["granularity"]!));
            Assert.That(info.Bitmaps[i].Flags, Is.EqualTo(theirs["flags"]!.AsArray().Select(f => (string)f!).ToArray()));
        }
    }

    [TestCase("compat=0.10")]
    [TestCase("compat=1.1,lazy_refcounts=on,refcount_bits=4")]
    [TestCase("compression_type=zstd,extended_l2=on")]
    [TestCase("data_file_raw=on")]
    public void Reports_the_same_info_as_qemu_img_info(string options)
    {
        using var temp = new TempDirectory("info");
        var path = temp.File("image.qcow2");
        if (options.Contains("data_file_raw", StringComparison.Ordinal))
        {
            options = $"data_file={temp.File("image.data")},{options}";
        }
        Qemu.CreateQcow2(temp.File("base.qcow2"), "1M");
        // qemu refuses a backing file together with data_file_raw.
        var backing = options.Contains("data_file_raw", StringComparison.Ordinal) ? string.Empty : ",backing_file=base.qcow2,backing_fmt=qcow2";
        Qemu.CreateQcow2(path, "3M", options + backing);
        Qemu.Io(path, "write -P 0x19 0 100k");
        var qemu = Qemu.Info(path);
        using var image = QcowImage.Open(path);
        var ours = image.GetInfo();
        var data = qemu["format-specific"]!["data"]!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That(ours.VirtualSize, Is.EqualTo((long)qemu["virtual-size"]!));
            Assert.That(ours.ClusterSize, Is.EqualTo((int)qemu["cluster-size"]!));
            Assert.That(ours.DirtyFlag, Is.EqualTo((bool)qemu["dirty-flag"]!));
            Assert.That(ours.BackingFileName, Is.EqualTo((string?)qemu["backing-filename"]));
            Assert.That(ours.FullBackingFileName, Is.EqualTo((string?)qemu["full-backing-filename"]));
            Assert.That(ours.BackingFileFormat, Is.EqualTo((string?)qemu["backing-filename-format"]));
            Assert.That(ours.ActualSize, Is.EqualTo((long)qemu["actual-size"]!));
            Assert.That(QemuNames.Name(ours.Compat), Is.EqualTo((string)data["compat"]!));
            Assert.That(QemuNames.Name(ours.CompressionType), Is.EqualTo((string)data["compression-type"]!));
            Assert.That(ours.RefcountBits, Is.EqualTo((int)data["refcount-bits"]!));
            AssertOptional(data, "lazy-refcounts", ours.LazyRefcounts);
            AssertOptional(data, "corrupt", ours.Corrupt);
            AssertOptional(data, "extended-l2", ours.ExtendedL2);
            Assert.That(ours.DataFile, Is.EqualTo((string?)data["data-file"]));
            if (data["data-file-raw"] is JsonNode raw)
            {
                Assert.That(ours.DataFileRaw, Is.EqualTo((bool)raw));
            }
        });
    }

    private static void AssertOptional(JsonObject data, string key, bool ours)
    {
        if (data[key] is JsonNode node)
        {
            Assert.That(ours, Is.EqualTo((bool)node), key);
        }
        else
        {
            Assert.That(ours, Is.False, $"{key} is absent in qemu's output");
        }
    }

    [Test]
    public void Opens_a_dirty_image_read_only()
    {
        using var temp = new TempDirectory("dirty");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M", "lazy_refcounts=on");
        Qemu.Io(path, "write -P 0x29 0 64k");
        GuestBytes.PatchUInt64(path, 72, GuestBytes.ReadUInt64(path, 72) | 1);
        using var image = QcowImage.Open(path);
        Assert.That(image.GetInfo().DirtyFlag, Is.True);
        Assert.That(GuestBytes.Sha256(image), Is.EqualTo(Qemu.RawSha256(path)));
    }

    [Test]
    public void Opens_a_corrupt_image_read_only_but_not_read_write()
    {
        using var temp = new TempDirectory("corrupt");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M");
        Qemu.Io(path, "write -P 0x39 0 64k");
        GuestBytes.PatchUInt64(path, 72, GuestBytes.ReadUInt64(path, 72) | 2);
        using (var image = QcowImage.Open(path))
        {
            Assert.That(image.GetInfo().Corrupt, Is.True);
            Assert.That(GuestBytes.Sha256(image), Is.EqualTo(Qemu.RawSha256(path)));
        }
        var error = Assert.Throws<QcowFormatException>(() => QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite }).Dispose());
        Assert.That(error!.Field, Is.EqualTo("incompatible_features"));
        var qemu = ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "read 0 512", path]);
        Assert.That(qemu.StandardError + qemu.StandardOutput, Does.Contain("corrupt"), "qemu-io refuses a read-write open too");
    }
}
