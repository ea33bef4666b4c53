using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Seed;

/// <summary>Seeding through the qcow2 write engine: qemu-img check, then the FAT checks on qemu's raw conversion.</summary>
public sealed class Qcow2SeedTests
{
    private const long MiB = 1024 * 1024;

    private static string MakeTree(TempDirectory temp, bool withBigFile)
    {
        var source = temp.File("content");
        Directory.CreateDirectory(Path.Combine(source, "nested", "deeper"));
        Directory.CreateDirectory(Path.Combine(source, "empty"));
        File.WriteAllText(Path.Combine(source, "A long file name.yaml"), "key: value\n");
        File.WriteAllText(Path.Combine(source, "nested", "Grüße 日本.txt"), "unicode\n");
        File.WriteAllBytes(Path.Combine(source, "nested", "deeper", "empty.bin"), []);
        var random = new byte[700_000];
        new Random(5).NextBytes(random);
        File.WriteAllBytes(Path.Combine(source, "nested", "deeper", "random.bin"), random);
        if (withBigFile)
        {
            using var big = File.Create(Path.Combine(source, "big.img"));
            big.SetLength(110 * MiB);
            foreach (var at in new[] { 0L, 64 * MiB + 512, 110 * MiB - random.Length })
            {
                big.Position = at;
                big.Write(random);
            }
        }
        return source;
    }

    private static string ToRaw(TempDirectory temp, string qcow2)
    {
        var raw = temp.File(Path.GetFileNameWithoutExtension(qcow2) + ".raw");
        Qemu.ImgOk("convert", "-f", "qcow2", "-O", "raw", qcow2, raw);
        return raw;
    }

    private static void AssertCheckClean(string qcow2)
    {
        var (exitCode, report, raw) = Qemu.Check(qcow2);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(report?["corruptions"]?.GetValue<int>() ?? 0, Is.Zero);
        Assert.That(report?["leaks"]?.GetValue<int>() ?? 0, Is.Zero);
    }

    [Test]
    public void Folder_tree_in_a_new_qcow2_passes_qemu_img_check_and_reads_back_after_convert()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeTree(temp, withBigFile: true);
        var image = temp.File("disk.qcow2");

        var result = QcowSeeder.SeedDirectory(image, new FatSeedOptions { SourceDirectory = source, FileSystem = FatFileSystemType.Fat32, Label = "DATA" },
            new SeedTargetOptions { Size = 256 * MiB });

        Assert.That(result.FileSystem, Is.EqualTo(FatFileSystemType.Fat32));
        Assert.That(Qemu.Info(image)["format"]!.GetValue<string>(), Is.EqualTo("qcow2"));
        Assert.That(Qemu.Info(image)["virtual-size"]!.GetValue<long>(), Is.EqualTo(256 * MiB));
        AssertCheckClean(image);
        Assert.That(new FileInfo(image).Length, Is.LessThan(12 * MiB), "zero clusters are not allocated");
        var raw = ToRaw(temp, image);
        FatTools.AssertFsckClean(raw);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(raw, 0, extracted);
        FatTools.AssertSameTree(source, extracted);
    }

    [Test]
    public void Gpt_partitioned_qcow2_is_read_by_sfdisk_after_convert()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeTree(temp, withBigFile: false);
        var image = temp.File("disk.qcow2");

        var result = QcowSeeder.SeedDirectory(image,
            new FatSeedOptions { SourceDirectory = source, PartitionTable = PartitionTableType.Gpt, Label = "EFI" },
            new SeedTargetOptions { Size = 64 * MiB, Qcow2Options = "cluster_size=65536,compression_type=zstd" });

        AssertCheckClean(image);
        Assert.That(Qemu.Info(image)["cluster-size"]!.GetValue<long>(), Is.EqualTo(65536));
        var raw = ToRaw(temp, image);
        var dump = FatTools.RunOk("sfdisk", "--dump", raw);
        Assert.That(dump.StandardOutput, Does.Contain("label: gpt").And.Contain("type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"));
        Assert.That(dump.StandardError, Is.Empty);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(raw, result.FileSystemOffset, extracted);
        FatTools.AssertSameTree(source, extracted);
    }

    [Test]
    public void Cloud_init_seed_as_qcow2_passes_check_and_has_label_cidata()
    {
        using var temp = new TempDirectory("seed");
        File.WriteAllText(temp.File("u.yaml"), "#cloud-config\nhostname: q\n");
        File.WriteAllText(temp.File("m.yaml"), "instance-id: q-1\n");
        var image = temp.File("seed.qcow2");

        QcowSeeder.SeedCloudInit(image, new CloudInitSeedOptions { UserDataPath = temp.File("u.yaml"), MetaDataPath = temp.File("m.yaml") });

        AssertCheckClean(image);
        var raw = ToRaw(temp, image);
        FatTools.AssertFsckClean(raw);
        Assert.That(FatTools.RunOk("fatlabel", raw).StandardOutput.Trim(), Is.EqualTo("CIDATA"));
        Assert.That(FatTools.RunOk("mtype", "-i", raw, "::/user-data").StandardOutput, Is.EqualTo("#cloud-config\nhostname: q\n"));
        Assert.That(FatTools.RunOk("mtype", "-i", raw, "::/meta-data").StandardOutput, Is.EqualTo("instance-id: q-1\n"));
    }

    [Test]
    public void Reproducible_mode_gives_byte_identical_qcow2_files()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeTree(temp, withBigFile: false);
        var options = new FatSeedOptions { SourceDirectory = source, PartitionTable = PartitionTableType.Mbr, Label = "REPRO", Reproducible = true };

        QcowSeeder.SeedDirectory(temp.File("a.qcow2"), options, new SeedTargetOptions { Size = 48 * MiB });
        QcowSeeder.SeedDirectory(temp.File("b.qcow2"), options, new SeedTargetOptions { Size = 48 * MiB });

        Assert.That(Hashing.Sha256OfFile(temp.File("b.qcow2")), Is.EqualTo(Hashing.Sha256OfFile(temp.File("a.qcow2"))));
    }

    [Test]
    public void Seeding_into_an_existing_qcow2_with_data_gives_a_clean_volume_and_a_clean_image()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeTree(temp, withBigFile: false);
        var image = temp.File("existing.qcow2");
        Qemu.CreateQcow2(image, "40M");
        Qemu.Io(image, "write -P 0xa5 0 40M");

        var result = QcowSeeder.SeedDirectory(image, new FatSeedOptions { SourceDirectory = source, FileSystem = FatFileSystemType.Fat32 },
            new SeedTargetOptions { UseExisting = true });

        Assert.That(result.DiskSize, Is.EqualTo(40 * MiB));
        AssertCheckClean(image);
        var raw = ToRaw(temp, image);
        FatTools.AssertFsckClean(raw);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(raw, 0, extracted);
        FatTools.AssertSameTree(source, extracted);
    }

    [Test]
    public void Qcow2_source_is_copied_into_a_qcow2_target_at_an_offset_with_holes_left_unallocated()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("source.qcow2");
        Qemu.CreateQcow2(source, "8M");
        Qemu.Io(source, "write -P 0x11 0 64k", "write -P 0x22 4M 128k", "write -z 6M 64k");
        var image = temp.File("disk.qcow2");

        QcowSeeder.CopyImage(image, new ImageCopySeedOptions { SourcePath = source, TargetOffset = MiB }, new SeedTargetOptions { Size = 16 * MiB });

        AssertCheckClean(image);
        Qemu.Io(image, "read -P 0x11 1M 64k", "read -P 0x22 5M 128k", "read -P 0 1088k 3008k", "read -P 0 0 1M", "read -P 0 9M 7M");
        var allocated = Qemu.Map(image).Where(e => e!["data"]!.GetValue<bool>()).Sum(e => e!["length"]!.GetValue<long>());
        Assert.That(allocated, Is.EqualTo(192 * 1024));
    }

    [Test]
    public void Bad_qcow2_options_are_rejected_before_anything_is_created()
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("disk.qcow2");

        var error = Assert.Throws<SeedException>(() => QcowSeeder.WriteGeneratedData(image, new GeneratedDataSeedOptions { Length = MiB },
            new SeedTargetOptions { Qcow2Options = "cluster_size=1000" }));

        Assert.That(error!.Message, Does.Contain("disk.qcow2").And.Contain("luster"));
        Assert.That(Directory.GetFiles(temp.Path), Is.Empty);
    }

    [Test]
    public void New_qcow2_over_a_backing_file_full_of_data_gives_a_clean_volume()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeTree(temp, withBigFile: false);
        var backing = temp.File("base.raw");
        var junk = new byte[40 * MiB];
        Array.Fill(junk, (byte)0x5A);
        File.WriteAllBytes(backing, junk);
        var image = temp.File("overlay.qcow2");

        QcowSeeder.SeedDirectory(image, new FatSeedOptions { SourceDirectory = source, FileSystem = FatFileSystemType.Fat32 },
            new SeedTargetOptions { Size = 40 * MiB, Qcow2Options = "backing_file=base.raw,backing_fmt=raw" });

        AssertCheckClean(image);
        var raw = ToRaw(temp, image);
        FatTools.AssertFsckClean(raw);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(raw, 0, extracted);
        FatTools.AssertSameTree(source, extracted);
    }
}
