using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Seed;

public sealed class FatDirectorySeedTests
{
    private static void MakeMixedTree(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "docs", "deeper", "deepest"));
        Directory.CreateDirectory(Path.Combine(root, "empty folder"));
        File.WriteAllText(Path.Combine(root, "README.TXT"), "exact short name\n");
        File.WriteAllText(Path.Combine(root, "readme.md"), "lower case fits 8.3\n");
        File.WriteAllText(Path.Combine(root, "A rather long file name with spaces.configuration"), "long\n");
        File.WriteAllText(Path.Combine(root, "Überraschung – ünïcödé 日本語.txt"), "unicode\n");
        File.WriteAllText(Path.Combine(root, ".hidden-dotfile"), "dot\n");
        File.WriteAllText(Path.Combine(root, "a+b,c;d=e[f].txt"), "lossy characters\n");
        File.WriteAllBytes(Path.Combine(root, "empty.dat"), []);
        for (var i = 0; i < 12; i++)
        {
            File.WriteAllText(Path.Combine(root, "docs", $"longfilename-{i:D2}.txt"), $"same basis {i}\n");
        }
        File.WriteAllBytes(Path.Combine(root, "docs", "deeper", "deepest", "random.bin"), RandomBytes(12345, 300_000));
        File.WriteAllBytes(Path.Combine(root, "docs", "deeper", "zero-length"), []);
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static SeedResult Seed(string source, string image, FatFileSystemType type, string? size, string? label = "DATA",
        PartitionTableType table = PartitionTableType.None, bool reproducible = false)
    {
        return QcowSeeder.SeedDirectory(image,
            new FatSeedOptions { SourceDirectory = source, FileSystem = type, Label = label, PartitionTable = table, Reproducible = reproducible },
            new SeedTargetOptions { Size = size is null ? null : ParseSize(size) });
    }

    internal static long ParseSize(string size) => size[^1] switch
    {
        'M' => long.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024,
        'G' => long.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024 * 1024,
        _ => long.Parse(size, System.Globalization.CultureInfo.InvariantCulture),
    };

    [Test]
    public void Folder_tree_as_fat32_is_fsck_clean_and_reads_back_identical_with_mtools()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        MakeMixedTree(source);
        var image = temp.File("disk.img");

        var result = Seed(source, image, FatFileSystemType.Fat32, "256M");

        Assert.That(result.FileSystem, Is.EqualTo(FatFileSystemType.Fat32));
        Assert.That(Qemu.Info(image)["actual-size"]!.GetValue<long>(), Is.LessThan(4L * 1024 * 1024),
            "a 256 MiB volume with little content stays sparse");
        FatTools.AssertFsckClean(image);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(image, 0, extracted);
        FatTools.AssertSameTree(source, extracted);
    }

    [Test]
    public void Folder_tree_as_fat16_is_fsck_clean_and_reads_back_identical_with_mtools()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        MakeMixedTree(source);
        var image = temp.File("disk.img");

        var result = Seed(source, image, FatFileSystemType.Fat16, "64M");

        Assert.That(result.FileSystem, Is.EqualTo(FatFileSystemType.Fat16));
        FatTools.AssertFsckClean(image);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(image, 0, extracted);
        FatTools.AssertSameTree(source, extracted);
    }

    [Test]
    public void Hundreds_of_files_in_one_folder_read_back_on_fat32_and_in_the_fat16_root()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        Directory.CreateDirectory(Path.Combine(source, "many"));
        for (var i = 0; i < 500; i++)
        {
            File.WriteAllText(Path.Combine(source, "many", $"generated file number {i:D4}.json"), $"{{\"n\":{i}}}");
        }
        var fat16Source = Path.Combine(source, "many");

        var fat32 = temp.File("fat32.img");
        Seed(source, fat32, FatFileSystemType.Fat32, "64M");
        var fat16 = temp.File("fat16.img");
        var fat16Result = Seed(fat16Source, fat16, FatFileSystemType.Fat16, "16M");

        Assert.That(fat16Result.FileCount, Is.EqualTo(500));
        foreach (var (image, tree) in new[] { (fat32, source), (fat16, fat16Source) })
        {
            FatTools.AssertFsckClean(image);
            var extracted = temp.File("extracted-" + Path.GetFileName(image));
            FatTools.ExtractAll(image, 0, extracted);
            FatTools.AssertSameTree(tree, extracted);
        }
    }

    [Test]
    public void File_over_100_MiB_is_streamed_sparse_and_reads_back_identical()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        Directory.CreateDirectory(source);
        var big = Path.Combine(source, "big.bin");
        const long Length = 120L * 1024 * 1024 + 12345;
        using (var stream = File.Create(big))
        {
            stream.SetLength(Length);
            var pattern = RandomBytes(7, 1024 * 1024);
            foreach (var at in new[] { 0L, 50L * 1024 * 1024 + 4096, Length - pattern.Length })
            {
                stream.Position = at;
                stream.Write(pattern);
            }
        }
        var image = temp.File("disk.img");

        var result = Seed(source, image, FatFileSystemType.Auto, size: null);

        Assert.That(result.DiskSize, Is.GreaterThan(Length));
        Assert.That(result.BytesSkipped, Is.GreaterThan(100L * 1024 * 1024), "the zero ranges of the file were not written");
        FatTools.AssertFsckClean(image);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(image, 0, extracted);
        FatTools.AssertSameTree(source, extracted);
    }

    [Test]
    public void Timestamps_come_from_the_files_last_write_times()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        Directory.CreateDirectory(Path.Combine(source, "folder"));
        var file = Path.Combine(source, "folder", "dated.txt");
        File.WriteAllText(file, "dated");
        var when = new DateTime(2021, 3, 4, 5, 6, 8, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, when);
        var image = temp.File("disk.img");

        Seed(source, image, FatFileSystemType.Fat16, "8M");

        var listing = FatTools.RunOk("mdir", "-i", image, "::/folder").StandardOutput;
        Assert.That(listing, Does.Contain("2021-03-04   5:06"));
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(image, 0, extracted);
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(extracted, "folder", "dated.txt")), Is.EqualTo(when));
    }

    [Test]
    public void Volume_label_is_in_the_boot_sector_and_the_root_folder()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "x.txt"), "x");
        var image = temp.File("disk.img");

        Seed(source, image, FatFileSystemType.Fat32, "40M", label: "Build 42");

        Assert.That(FatTools.RunOk("mlabel", "-s", "-i", image, "::").StandardOutput, Does.Contain("Volume label is BUILD 42"));
        Assert.That(FatTools.RunOk("fatlabel", image).StandardOutput.Trim(), Is.EqualTo("BUILD 42"));
        FatTools.AssertFsckClean(image);
    }

    [TestCase(16, 16, 4)]
    [TestCase(128, 16, 4)]
    [TestCase(200, 16, 8)]
    [TestCase(300, 16, 16)]
    [TestCase(512, 32, 8)]
    [TestCase(2048, 32, 8)]
    public void Automatic_type_and_cluster_size_match_mkfs_fat(int mebibytes, int expectedBits, int expectedSectorsPerCluster)
    {
        using var temp = new TempDirectory("seed");
        var reference = temp.File("mkfs.img");
        using (var stream = File.Create(reference)) stream.SetLength(mebibytes * 1024L * 1024);
        FatTools.RunOk("mkfs.fat", reference);
        var boot = new byte[512];
        using (var stream = File.OpenRead(reference)) stream.ReadExactly(boot);
        var mkfsFat32 = boot[22] == 0 && boot[23] == 0;

        var geometry = QcowKit.Seed.Fat.FatGeometry.TryCompute(mebibytes * 2048L, FatFileSystemType.Auto, 0, out var problem);

        Assert.That(geometry, Is.Not.Null, problem);
        Assert.That((int)geometry!.Type, Is.EqualTo(mkfsFat32 ? 32 : 16).And.EqualTo(expectedBits));
        Assert.That(geometry.SectorsPerCluster, Is.EqualTo(boot[13]).And.EqualTo(expectedSectorsPerCluster));
    }

    [Test]
    public void Content_that_does_not_fit_is_rejected_before_the_target_is_created()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        Directory.CreateDirectory(source);
        using (var stream = File.Create(Path.Combine(source, "big.bin"))) stream.SetLength(20L * 1024 * 1024);
        var image = temp.File("disk.img");

        var error = Assert.Throws<SeedException>(() => Seed(source, image, FatFileSystemType.Fat16, "16M"));

        Assert.That(error!.Message, Does.Contain("does not fit"));
        Assert.That(File.Exists(image), Is.False);
        Assert.That(Directory.GetFiles(temp.Path), Is.Empty, "no temporary file is left behind");
    }

    [Test]
    public void Unrepresentable_names_are_rejected_before_the_target_is_created()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        File.WriteAllText(Path.Combine(source, "sub", "Case.txt"), "1");
        File.WriteAllText(Path.Combine(source, "sub", "case.txt"), "2");
        var image = temp.File("disk.img");

        var error = Assert.Throws<SeedException>(() => Seed(source, image, FatFileSystemType.Fat16, "8M"));

        Assert.That(error!.Message, Does.Contain("/sub/Case.txt").And.Contain("/sub/case.txt"));
        Assert.That(File.Exists(image), Is.False);
    }

    [Test]
    public void Existing_target_is_kept_unless_overwrite_is_asked()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "x.txt"), "x");
        var image = temp.File("disk.img");
        File.WriteAllText(image, "precious");
        var options = new FatSeedOptions { SourceDirectory = source, Label = "DATA" };

        var error = Assert.Throws<SeedException>(() => QcowSeeder.SeedDirectory(image, options, new SeedTargetOptions { Size = 8L << 20 }));
        Assert.That(error!.Message, Does.Contain("already exists"));
        Assert.That(File.ReadAllText(image), Is.EqualTo("precious"));

        QcowSeeder.SeedDirectory(image, options, new SeedTargetOptions { Size = 8L << 20, Overwrite = true });
        FatTools.AssertFsckClean(image);
    }

    [Test]
    public void Seeding_into_an_existing_disk_full_of_data_gives_a_clean_volume()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        MakeMixedTree(source);
        var image = temp.File("disk.img");
        var junk = new byte[1024 * 1024];
        Array.Fill(junk, (byte)0xA5);
        using (var stream = File.Create(image))
        {
            for (var i = 0; i < 40; i++) stream.Write(junk);
        }

        var result = QcowSeeder.SeedDirectory(image, new FatSeedOptions { SourceDirectory = source, FileSystem = FatFileSystemType.Fat32 },
            new SeedTargetOptions { UseExisting = true });

        Assert.That(result.DiskSize, Is.EqualTo(40L * 1024 * 1024));
        FatTools.AssertFsckClean(image);
        var extracted = temp.File("extracted");
        FatTools.ExtractAll(image, 0, extracted);
        FatTools.AssertSameTree(source, extracted);
    }

    [Test]
    public void Reproducible_mode_gives_byte_identical_images_from_the_same_folder()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        MakeMixedTree(source);
        var first = temp.File("first.img");
        var second = temp.File("second.img");

        Seed(source, first, FatFileSystemType.Fat32, "64M", table: PartitionTableType.Gpt, reproducible: true);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-3));
        }
        Seed(source, second, FatFileSystemType.Fat32, "64M", table: PartitionTableType.Gpt, reproducible: true);

        Assert.That(Hashing.Sha256OfFile(second), Is.EqualTo(Hashing.Sha256OfFile(first)));
        var listing = FatTools.RunOk("mdir", "-i", FatTools.Spec(first, 1024 * 1024), "::/").StandardOutput;
        Assert.That(listing, Does.Contain("1980-01-01"));
    }

    [Test]
    public void Empty_folder_gives_an_empty_clean_volume()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("content");
        Directory.CreateDirectory(source);
        var image = temp.File("disk.img");

        var result = Seed(source, image, FatFileSystemType.Auto, size: null, label: null);

        Assert.That((result.FileCount, result.DirectoryCount), Is.EqualTo((0, 0)));
        FatTools.AssertFsckClean(image);
        Assert.That(FatTools.RunOk("mdir", "-i", image, "-b", "::/").StandardOutput.Trim(), Is.Empty);
        Assert.That(FatTools.RunOk("mlabel", "-s", "-i", image, "::").StandardOutput, Does.Contain("no label"));
    }
}
