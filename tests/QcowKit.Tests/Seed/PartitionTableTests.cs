using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Seed;

public sealed class PartitionTableTests
{
    private const long MiB = 1024 * 1024;

    private static string MakeSource(TempDirectory temp)
    {
        var source = temp.File("content");
        Directory.CreateDirectory(Path.Combine(source, "boot"));
        File.WriteAllText(Path.Combine(source, "boot", "config.txt"), "arm_64bit=1\n");
        File.WriteAllText(Path.Combine(source, "a long name.txt"), "partitioned\n");
        return source;
    }

    private static SeedResult Seed(string source, string image, PartitionTableType table, FatFileSystemType type, long size) =>
        QcowSeeder.SeedDirectory(image,
            new FatSeedOptions { SourceDirectory = source, PartitionTable = table, FileSystem = type, Label = "PART" },
            new SeedTargetOptions { Size = size });

    private static void AssertVolumeReadsBack(TempDirectory temp, string source, string image, SeedResult result)
    {
        var partition = FatTools.ExtractRange(image, result.FileSystemOffset, result.DiskSize - result.FileSystemOffset, temp.File("partition.img"));
        FatTools.AssertFsckClean(partition);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(image, result.FileSystemOffset, extracted);
        FatTools.AssertSameTree(source, extracted);
    }

    [Test]
    public void Mbr_partition_is_read_by_sfdisk_and_fdisk_and_holds_the_volume()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeSource(temp);
        var image = temp.File("disk.img");

        var result = Seed(source, image, PartitionTableType.Mbr, FatFileSystemType.Fat32, 100 * MiB);

        var dump = FatTools.RunOk("sfdisk", "--dump", image).StandardOutput;
        Assert.That(dump, Does.Contain("label: dos"));
        Assert.That(dump, Does.Match(@"disk\.img1 : start=\s*2048, size=\s*202752, type=c\b"));
        var listing = FatTools.RunOk("fdisk", "-l", image).StandardOutput;
        Assert.That(listing, Does.Contain("W95 FAT32 (LBA)"));
        Assert.That(result.FileSystemOffset, Is.EqualTo(MiB));
        AssertVolumeReadsBack(temp, source, image, result);
    }

    [Test]
    public void Mbr_partition_type_is_fat16_lba_for_a_fat16_volume()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeSource(temp);
        var image = temp.File("disk.img");

        var result = Seed(source, image, PartitionTableType.Mbr, FatFileSystemType.Auto, 32 * MiB);

        Assert.That(result.FileSystem, Is.EqualTo(FatFileSystemType.Fat16));
        Assert.That(FatTools.RunOk("sfdisk", "--dump", image).StandardOutput, Does.Match(@"type=e\b"));
        AssertVolumeReadsBack(temp, source, image, result);
    }

    [Test]
    public void Gpt_is_read_by_sfdisk_and_fdisk_with_both_headers_valid_and_holds_the_volume()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeSource(temp);
        var image = temp.File("disk.img");

        var result = Seed(source, image, PartitionTableType.Gpt, FatFileSystemType.Fat32, 64 * MiB);

        var dump = FatTools.RunOk("sfdisk", "--dump", image);
        Assert.That(dump.StandardOutput, Does.Contain("label: gpt"));
        Assert.That(dump.StandardOutput, Does.Contain("first-lba: 34").And.Contain("last-lba: 131038"));
        Assert.That(dump.StandardOutput, Does.Match(@"start=\s*2048, size=\s*128991, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=[0-9A-F-]{36}, name=""PART"""));
        Assert.That(dump.StandardError, Is.Empty, "no warnings about checksums or the backup header");
        var verify = FatTools.RunOk("sfdisk", "--verify", image);
        Assert.That(verify.StandardOutput + verify.StandardError, Does.Not.Contain("corrupt").IgnoreCase.And.Not.Contain("mismatch").IgnoreCase);
        var listing = FatTools.RunOk("fdisk", "-l", image);
        Assert.That(listing.StandardOutput, Does.Contain("Disklabel type: gpt").And.Contain("Microsoft basic data"));
        Assert.That(listing.StandardError, Is.Empty);
        AssertVolumeReadsBack(temp, source, image, result);
    }

    [Test]
    public void Gpt_backup_header_alone_is_enough_for_sfdisk()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeSource(temp);
        var image = temp.File("disk.img");
        Seed(source, image, PartitionTableType.Gpt, FatFileSystemType.Fat16, 16 * MiB);
        using (var stream = File.OpenWrite(image))
        {
            stream.Position = 512;
            stream.Write(new byte[512]);
        }

        var dump = FatTools.Run("sfdisk", "--dump", image);

        Assert.That(dump.StandardOutput, Does.Contain("label: gpt").And.Contain("type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"), dump.Describe);
        Assert.That(dump.StandardError, Does.Contain("primary GPT header").IgnoreCase.Or.Contain("backup").IgnoreCase, dump.Describe);
    }

    [Test]
    public void Disk_too_small_for_the_partition_is_rejected_before_writing()
    {
        using var temp = new TempDirectory("seed");
        var source = MakeSource(temp);
        var image = temp.File("disk.img");

        var error = Assert.Throws<SeedException>(() => Seed(source, image, PartitionTableType.Gpt, FatFileSystemType.Fat32, 33 * MiB));

        Assert.That(error!.Message, Does.Contain("FAT32"));
        Assert.That(File.Exists(image), Is.False);
    }
}
