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
}
