using QcowKit.Image;
using QcowKit.TestSupport;
using static QcowKit.Tests.Writing.WriteTestSupport;

namespace QcowKit.Tests.Snapshots;

[TestFixture]
public sealed class SnapshotTests
{
    private const int DiskSize = 4 * 1024 * 1024;

    private static void AssertClean(string image)
    {
        var (exitCode, report, raw) = Qemu.Check(image);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(report?["leaks"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
        Assert.That(report?["corruptions"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
    }

    private static byte[] SnapshotBytes(string image, string name, string temp)
    {
        var output = Path.Combine(temp, "snapshot.raw");
        Qemu.ImgOk("convert", "-U", "-f", "qcow2", "-l", "snapshot.name=" + name, "-O", "raw", image, output);
        var bytes = File.ReadAllBytes(output);
        File.Delete(output);
        return bytes;
    }

    private static void AssertActiveEquals(string image, byte[] model, string temp)
    {
        var rawFile = Path.Combine(temp, "expected.raw");
        File.WriteAllBytes(rawFile, model);
        var compare = Qemu.Img("compare", "-U", "-f", "qcow2", "-F", "raw", image, rawFile);
        Assert.That(compare.ExitCode, Is.Zero, compare.Describe);
    }

    [Test]
    public void Created_snapshot_keeps_its_bytes_after_writes_and_applies_back()
    {
        using var temp = new TempDirectory("snap");
        var path = temp.File("a.qcow2");
        var model = new byte[DiskSize];
        var random = new Random(1);
        random.NextBytes(model.AsSpan(0, 300_000));
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(null, "4M")))
        {
            image.Write(0, model.AsSpan(0, 300_000));
        }
        var before = (byte[])model.Clone();
        using (var image = OpenWritable(path))
        {
            var info = image.CreateSnapshot("one", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
            Assert.That(info.Id, Is.EqualTo("1"));
        }
        AssertClean(path);
        using (var image = OpenWritable(path))
        {
            random.NextBytes(model.AsSpan(70_000, 100_000));
            image.Write(70_000, model.AsSpan(70_000, 100_000));
        }
        AssertClean(path);
        AssertActiveEquals(path, model, temp.Path);
        Assert.That(SnapshotBytes(path, "one", temp.Path), Is.EqualTo(before));
        using (var image = OpenWritable(path))
        {
            image.ApplySnapshot("one");
        }
        AssertClean(path);
        AssertActiveEquals(path, before, temp.Path);
    }

    [Test]
    public void Qemu_lists_our_snapshots_with_ids_names_and_dates()
    {
        using var temp = new TempDirectory("snap");
        var path = temp.File("l.qcow2");
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(null, "1M")))
        {
            image.Write(0, new byte[] { 1, 2, 3 });
            image.CreateSnapshot("first", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
            image.CreateSnapshot("second", DateTimeOffset.FromUnixTimeSeconds(1_700_000_100));
        }
        var info = Qemu.Info(path);
        var snapshots = info["snapshots"]!.AsArray();
        Assert.That(snapshots.Select(s => (s!["id"]!.GetValue<string>(), s["name"]!.GetValue<string>(), s["date-sec"]!.GetValue<long>())),
            Is.EqualTo(new[] { ("1", "first", 1_700_000_000L), ("2", "second", 1_700_000_100L) }));
        var list = Qemu.ImgOk("snapshot", "-U", "-l", path);
        Assert.That(list.StandardOutput, Does.Contain("first").And.Contain("second"));
        AssertClean(path);
    }

    [Test]
    public void Compressed_clusters_are_shared_by_snapshots_and_freed_on_delete()
    {
        using var temp = new TempDirectory("snap");
        var path = temp.File("c.qcow2");
        var model = new byte[DiskSize];
        var random = new Random(5);
        var data = Compressible(random, 65536 * 3);
        data.CopyTo(model, 0);
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(null, "4M")))
        {
            for (var i = 0; i < 3; i++)
            {
                image.WriteCompressed(i * 65536L, data.AsSpan(i * 65536, 65536));
            }
            image.CreateSnapshot("c");
            image.Write(65536, new byte[100]);
            image.DeleteSnapshot("c");
        }
        Array.Clear(model, 65536, 100);
        AssertCleanAndEqual(path, model, temp.Path);
    }

    [Test]
    public void One_bit_refcounts_are_refused_before_anything_changes()
    {
        using var temp = new TempDirectory("snap");
        var path = temp.File("b.qcow2");
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse("refcount_bits=1", "1M")))
        {
            image.Write(0, new byte[] { 9 });
            Assert.That(() => image.CreateSnapshot("x"), Throws.InvalidOperationException);
        }
        AssertClean(path);
        Assert.That(Qemu.Info(path)["snapshots"], Is.Null);
    }

    [Test]
    public void One_bit_refcounts_allow_a_snapshot_of_an_empty_image_like_qemu()
    {
        using var temp = new TempDirectory("snap");
        var ours = temp.File("ours.qcow2");
        var byQemu = temp.File("qemu.qcow2");
        QcowImage.Create(ours, QcowCreateOptions.Parse("refcount_bits=1", "1M")).Dispose();
        File.Copy(ours, byQemu);
        Qemu.ImgOk("snapshot", "-c", "s", byQemu);
        using (var image = OpenWritable(ours))
        {
            image.CreateSnapshot("s");
            image.Write(0, new byte[] { 7 });
            Assert.That(() => image.CreateSnapshot("t"), Throws.InvalidOperationException.With.Message.StartsWith("-22 (Invalid argument)"));
        }
        Qemu.Io(byQemu, "write 0 1");
        var refused = Qemu.Img("snapshot", "-c", "t", byQemu);
        Assert.That(refused.StandardError, Does.Contain("Could not create snapshot 't': -22 (Invalid argument)"), refused.Describe);
        AssertClean(ours);
        Assert.That(Qemu.Info(ours)["snapshots"]!.AsArray().Select(n => n!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "s" }));
    }

    [Test]
    public void Duplicate_names_are_allowed_and_looked_up_as_qemu_img_does()
    {
        using var temp = new TempDirectory("snap");
        var path = temp.File("d.qcow2");
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(null, "1M")))
        {
            foreach (var (fill, name) in new[] { ((byte)1, "2"), ((byte)2, "x"), ((byte)3, "x") })
            {
                image.Write(0, Enumerable.Repeat(fill, 4096).ToArray());
                image.CreateSnapshot(name);
            }
        }
        Assert.That(Qemu.Info(path)["snapshots"]!.AsArray().Select(n => (n!["id"]!.GetValue<string>(), n["name"]!.GetValue<string>())),
            Is.EqualTo(new[] { ("1", "2"), ("2", "x"), ("3", "x") }));
        var copy = temp.File("qemu.qcow2");
        File.Copy(path, copy);
        using (var image = OpenWritable(path))
        {
            image.ApplySnapshot("2"); // id 2 before the snapshot named "2"
            Assert.That(() => image.DeleteSnapshot("3"), Throws.InvalidOperationException.With.Message.EqualTo("snapshot not found"), "delete looks up names only");
            image.DeleteSnapshot("2"); // the snapshot named "2" (id 1)
            image.DeleteSnapshot("x"); // the first "x" (id 2)
        }
        Qemu.ImgOk("snapshot", "-a", "2", copy);
        Assert.That(Qemu.Img("snapshot", "-d", "3", copy).StandardError, Does.Contain("Could not delete snapshot '3': snapshot not found"));
        Qemu.ImgOk("snapshot", "-d", "2", copy);
        Qemu.ImgOk("snapshot", "-d", "x", copy);
        AssertClean(path);
        Assert.That(Qemu.Compare(path, copy), Is.Zero);
        Assert.That(Qemu.Info(path)["snapshots"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()), Is.EqualTo(new[] { "3" }));
        Assert.That(Qemu.Info(copy)["snapshots"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()), Is.EqualTo(new[] { "3" }));
        var model = new byte[1 << 20];
        Array.Fill(model, (byte)2, 0, 4096);
        AssertActiveEquals(path, model, temp.Path);
    }

    [Test]
    public void Snapshots_qemu_made_are_applied_and_deleted_by_us_and_ours_by_qemu()
    {
        using var temp = new TempDirectory("snap");
        var path = temp.File("q.qcow2");
        Qemu.CreateQcow2(path, "4M");
        Qemu.Io(path, "write -P 0x11 0 256k");
        Qemu.ImgOk("snapshot", "-c", "qsnap", path);
        Qemu.Io(path, "write -P 0x22 64k 64k");
        var model = new byte[DiskSize];
        Array.Fill(model, (byte)0x11, 0, 256 * 1024);
        using (var image = OpenWritable(path))
        {
            image.CreateSnapshot("ours");
            image.Write(0, new byte[4096]);
            image.ApplySnapshot("qsnap");
        }
        AssertClean(path);
        AssertActiveEquals(path, model, temp.Path);
        Qemu.ImgOk("snapshot", "-a", "ours", path);
        Array.Fill(model, (byte)0x22, 64 * 1024, 64 * 1024);
        AssertClean(path);
        AssertActiveEquals(path, model, temp.Path);
        using (var image = OpenWritable(path))
        {
            image.DeleteSnapshot("qsnap");
        }
        AssertClean(path);
        Qemu.ImgOk("snapshot", "-d", "ours", path);
        AssertClean(path);
        AssertActiveEquals(path, model, temp.Path);
        Assert.That(Qemu.Info(path)["snapshots"], Is.Null);
    }

    [TestCase("compat=1.1,cluster_size=65536", 11)]
    [TestCase("compat=0.10,refcount_bits=16,cluster_size=4096", 12)]
    [TestCase("extended_l2=on,cluster_size=16384", 13)]
    public void Random_writes_and_snapshot_operations_stay_clean_and_match_the_model(string options, int seed)
    {
        using var temp = new TempDirectory("snap");
        var path = temp.File("r.qcow2");
        var random = new Random(seed);
        var model = new byte[DiskSize];
        var saved = new Dictionary<string, byte[]>();
        var counter = 0;
        var (applied, deleted) = (0, 0);
        QcowImage.Create(path, QcowCreateOptions.Parse(options, "4M")).Dispose();
        for (var step = 0; step < 14; step++)
        {
            using (var image = OpenWritable(path))
            {
                var action = step switch { 4 => 3, 8 => 4, 12 => 5, _ => random.Next(6) }; // every kind of step at least once
                if (action <= 2 || (saved.Count == 0 && action >= 4))
                {
                    for (var w = 0; w < 3; w++)
                    {
                        var length = random.Next(1, 40_000);
                        var offset = random.Next(DiskSize - length);
                        random.NextBytes(model.AsSpan(offset, length));
                        image.Write(offset, model.AsSpan(offset, length));
                    }
                }
                else if (action == 3)
                {
                    var name = "s" + counter++;
                    image.CreateSnapshot(name, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + step));
                    saved[name] = (byte[])model.Clone();
                }
                else if (action == 4)
                {
                    var name = saved.Keys.ElementAt(random.Next(saved.Count));
                    image.ApplySnapshot(name);
                    model = (byte[])saved[name].Clone();
                    applied++;
                }
                else
                {
                    var name = saved.Keys.ElementAt(random.Next(saved.Count));
                    image.DeleteSnapshot(name);
                    saved.Remove(name);
                    deleted++;
                }
            }
            AssertClean(path);
        }
        Assert.That(new[] { counter, applied, deleted }, Is.All.GreaterThan(0), "the seed must exercise create, apply and delete");
        AssertActiveEquals(path, model, temp.Path);
        foreach (var (name, bytes) in saved)
        {
            Assert.That(SnapshotBytes(path, name, temp.Path), Is.EqualTo(bytes), name);
        }
    }
}
