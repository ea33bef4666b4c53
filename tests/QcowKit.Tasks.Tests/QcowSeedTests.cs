using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

public sealed class QcowSeedTests
{
    private static (bool Ok, FakeBuildEngine Engine, QcowSeed Task) Run(string path, Action<QcowSeed> configure)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowSeed { BuildEngine = engine, Image = TestImages.Item(path) };
        configure(task);
        var ok = task.Execute();
        return (ok, engine, task);
    }

    private static string Content(TempDirectory temp)
    {
        var folder = Directory.CreateDirectory(temp.File("content")).FullName;
        File.WriteAllText(Path.Combine(folder, "hello.txt"), "hello from msbuild\n");
        Directory.CreateDirectory(Path.Combine(folder, "etc"));
        File.WriteAllText(Path.Combine(folder, "etc", "motd"), "seeded\n");
        return folder;
    }

    /// <summary>Reads a file from a FAT image with mtools (an independent FAT reader).</summary>
    private static string MType(string rawImage, string file, string offset = "")
    {
        var result = ProcessRunner.Run("mtype", ["-i", rawImage + offset, "::" + file]);
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        return result.StandardOutput;
    }

    [Test]
    public void Folder_becomes_a_FAT_file_system_mtools_reads()
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("data.img");
        var (ok, engine, task) = Run(image, t => { t.SourceDirectory = TestImages.Item(Content(temp)); t.Label = "DATA"; });
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(MType(image, "/hello.txt"), Is.EqualTo("hello from msbuild\n"));
        Assert.That(MType(image, "/etc/motd"), Is.EqualTo("seeded\n"));
        Assert.That(task.FileCount, Is.EqualTo(2));
        Assert.That(task.DiskSize, Is.EqualTo(new FileInfo(image).Length));
    }

    [Test]
    public void Folder_seeded_into_a_new_qcow2_is_clean_for_qemu_and_readable()
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("data.qcow2");
        var (ok, engine, _) = Run(image, t => { t.SourceDirectory = TestImages.Item(Content(temp)); t.Size = "40M"; t.Options = "cluster_size=4096"; });
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        Assert.That((int)Qemu.Info(image)["cluster-size"]!, Is.EqualTo(4096));
        var raw = temp.File("data.raw");
        Qemu.ImgOk("convert", "-O", "raw", image, raw);
        Assert.That(MType(raw, "/hello.txt"), Is.EqualTo("hello from msbuild\n"));
    }

    [Test]
    public void UseExisting_seeds_an_image_QcowCreate_made()
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("disk.qcow2");
        var engine = new FakeBuildEngine();
        using (var create = new QcowCreate { BuildEngine = engine, Image = TestImages.Item(image), Size = "64M" })
        {
            Assert.That(create.Execute(), Is.True, engine.Describe);
        }
        var (ok, seedEngine, task) = Run(image, t => { t.SourceDirectory = TestImages.Item(Content(temp)); t.UseExisting = true; t.PartitionTable = "mbr"; });
        Assert.That(ok, Is.True, seedEngine.Describe);
        Assert.That(task.DiskSize, Is.EqualTo(64L << 20));
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        var raw = temp.File("disk.raw");
        Qemu.ImgOk("convert", "-O", "raw", image, raw);
        Assert.That(MType(raw, "/etc/motd", "@@1M"), Is.EqualTo("seeded\n"));
    }

    [Test]
    public void Reproducible_seed_with_a_timestamp_is_byte_identical()
    {
        using var temp = new TempDirectory("seed");
        var content = Content(temp);
        var hashes = new List<string>();
        foreach (var name in new[] { "a.img", "b.img" })
        {
            File.SetLastWriteTimeUtc(Path.Combine(content, "hello.txt"), DateTime.UtcNow);
            var (ok, engine, _) = Run(temp.File(name), t => { t.SourceDirectory = TestImages.Item(content); t.Reproducible = true; t.Timestamp = "2024-05-01T12:00:00Z"; });
            Assert.That(ok, Is.True, engine.Describe);
            hashes.Add(Hashing.Sha256OfFile(temp.File(name)));
        }
        Assert.That(hashes[1], Is.EqualTo(hashes[0]));
        var listing = ProcessRunner.Run("mdir", ["-i", temp.File("a.img"), "::"]);
        Assert.That(listing.StandardOutput, Does.Contain("2024-05-01"), listing.Describe);
    }

    [Test]
    public void Existing_target_is_replaced_unless_Overwrite_is_false()
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("disk.img");
        File.WriteAllText(image, "old");
        var (ok, engine, _) = Run(image, t => t.GeneratedLength = "64k");
        Assert.That(ok, Is.True, engine.Describe);
        var (refused, refusedEngine, _) = Run(image, t => { t.GeneratedLength = "64k"; t.Overwrite = false; });
        Assert.That(refused, Is.False);
        Assert.That(refusedEngine.Errors.Single().Code, Is.EqualTo("QCOW1021"));
    }

    [Test]
    public void Partitioned_folder_seed_is_readable_at_the_partition()
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("data.img");
        var (ok, engine, _) = Run(image, t => { t.SourceDirectory = TestImages.Item(Content(temp)); t.PartitionTable = "gpt"; t.Size = "64M"; });
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(MType(image, "/hello.txt", "@@1M"), Is.EqualTo("hello from msbuild\n"));
    }

    [Test]
    public void Cloud_init_seed_has_the_CIDATA_files()
    {
        using var temp = new TempDirectory("seed");
        var userData = temp.File("user-data.yaml");
        File.WriteAllText(userData, "#cloud-config\nhostname: built-by-msbuild\n");
        var image = temp.File("seed.img");
        var (ok, engine, _) = Run(image, t => t.UserData = TestImages.Item(userData));
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(MType(image, "/user-data"), Does.Contain("hostname: built-by-msbuild"));
        Assert.That(MType(image, "/meta-data"), Does.Contain("instance-id"));
        var label = ProcessRunner.Run("mlabel", ["-i", image, "-s", "::"]);
        Assert.That(label.StandardOutput, Does.Contain("CIDATA"), label.Describe);
    }

    [Test]
    public void Generated_data_is_reproducible()
    {
        using var temp = new TempDirectory("seed");
        var first = temp.File("a.img");
        var second = temp.File("b.img");
        foreach (var image in new[] { first, second })
        {
            var (ok, engine, _) = Run(image, t => { t.GeneratedLength = "1M"; t.Seed = 42; t.ZeroBlockPercent = 25; });
            Assert.That(ok, Is.True, engine.Describe);
        }
        Assert.That(Hashing.Sha256OfFile(first), Is.EqualTo(Hashing.Sha256OfFile(second)));
    }

    [Test]
    public void Raw_copy_lands_at_the_offset()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("source.raw");
        File.WriteAllBytes(source, [.. Enumerable.Repeat((byte)0xab, 4096)]);
        var image = temp.File("disk.img");
        var (ok, engine, _) = Run(image, t => { t.CopyFrom = TestImages.Item(source); t.Offset = "1M"; t.Size = "2M"; });
        Assert.That(ok, Is.True, engine.Describe);
        var bytes = File.ReadAllBytes(image);
        Assert.That(bytes[(1 << 20)..((1 << 20) + 4096)], Is.All.EqualTo((byte)0xab));
        Assert.That(bytes[..(1 << 20)], Is.All.EqualTo((byte)0));
    }

    [TestCase(0)]
    [TestCase(2)]
    public void Not_exactly_one_content_kind_fails_with_QCOW1020(int kinds)
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("disk.img");
        var (ok, engine, _) = Run(image, t =>
        {
            if (kinds >= 1) t.GeneratedLength = "1M";
            if (kinds >= 2) t.SourceDirectory = TestImages.Item(Content(temp));
        });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1020"));
        Assert.That(File.Exists(image), Is.False);
    }

    [TestCase("FileSystem", "ntfs")]
    [TestCase("PartitionTable", "apm")]
    [TestCase("Size", "huge")]
    [TestCase("Offset", "-3")]
    [TestCase("Timestamp", "yesterday-ish")]
    public void Bad_option_fails_with_QCOW1005(string parameter, string value)
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("disk.img");
        var (ok, engine, _) = Run(image, t =>
        {
            t.GeneratedLength = "64k";
            typeof(QcowSeed).GetProperty(parameter)!.SetValue(t, value);
        });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1005"));
        Assert.That(engine.Errors.Single().Message, Does.Contain(parameter).And.Contain(value));
    }

    [Test]
    public void Missing_source_folder_fails_with_QCOW1021()
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("disk.img");
        var (ok, engine, _) = Run(image, t => t.SourceDirectory = TestImages.Item(temp.File("absent")));
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1021"), engine.Describe);
        Assert.That(File.Exists(image), Is.False);
    }

    [Test]
    public void Content_larger_than_the_disk_fails_with_QCOW1021()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("big.raw");
        File.WriteAllBytes(source, new byte[3 << 20]);
        var (ok, engine, _) = Run(temp.File("disk.img"), t => { t.CopyFrom = TestImages.Item(source); t.Size = "1M"; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1021"), engine.Describe);
    }

    [Test]
    [NonParallelizable]
    public void Reproducible_seed_takes_its_timestamp_from_SOURCE_DATE_EPOCH()
    {
        using var temp = new TempDirectory("seed");
        var content = Content(temp);
        var explicitTime = temp.File("explicit.qcow2");
        var fromEnvironment = temp.File("environment.qcow2");
        var previous = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        try
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", null);
            // 1700000000 seconds after 1970 is 2023-11-14 22:13:20 UTC.
            Assert.That(Run(explicitTime, t => { t.SourceDirectory = TestImages.Item(content); t.Reproducible = true; t.Timestamp = "2023-11-14T22:13:20Z"; }).Ok, Is.True);
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", "1700000000");
            var (ok, engine, _) = Run(fromEnvironment, t => { t.SourceDirectory = TestImages.Item(content); t.Reproducible = true; });
            Assert.That(ok, Is.True, engine.Describe);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", previous);
        }
        Assert.That(Hashing.Sha256OfFile(fromEnvironment), Is.EqualTo(Hashing.Sha256OfFile(explicitTime)));
    }

    [Test]
    public void Size_refusal_carries_the_engines_message()
    {
        using var temp = new TempDirectory("seed");
        var (ok, engine, _) = Run(temp.File("disk.qcow2"), t => { t.GeneratedLength = "64k"; t.Size = "1.5"; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1005"), engine.Describe);
        Assert.That(engine.Errors.Single().Message, Does.Contain("'1.5' is not a size"));
    }
}
