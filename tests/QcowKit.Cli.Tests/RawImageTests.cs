using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// The verbs on raw files, where qemu-img's answers come from the host file system alone. qemu rounds
/// a raw file's size up to a whole 512-byte sector, and so do we.
/// </summary>
public class RawImageTests
{
    [TestCase(512L)]
    [TestCase(1000L)]
    [TestCase(1536L)]
    [TestCase(4097L)]
    [TestCase(1000L * 1024)]
    [TestCase(1023L * 1024)]
    [TestCase(5L * 1024 * 1024 + 12800)]
    [TestCase(3L * 1024 * 1024 * 1024)]
    public void Info_human_matches_qemu_img_for_raw_sizes(long size)
    {
        using var temp = new TempDirectory("cli-raw");
        var raw = temp.File("disk.raw");
        using (var file = File.Create(raw))
        {
            file.SetLength(size);
            file.Position = Math.Min(size - 1, 8192);
            file.WriteByte(1);
        }

        var ours = Cli.Run("info", raw);

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(Cli.Qemu("info", raw).StandardOutput));
    }

    [Test]
    public void Info_json_matches_qemu_img_for_a_raw_file()
    {
        using var temp = new TempDirectory("cli-raw");
        var raw = temp.File("disk.raw");
        File.WriteAllBytes(raw, new byte[3 * 4096 + 512]);

        var ours = Cli.Run("info", "--output=json", raw);

        Assert.That(ours.StandardOutput, Is.EqualTo(Cli.Qemu("info", "--output=json", raw).StandardOutput));
    }

    [Test]
    public void Info_json_escapes_names_like_qemu_img()
    {
        using var temp = new TempDirectory("cli-raw");
        var raw = temp.File("d\u00e9j\u00e0 \"vu\" \U0001F4BE\\.raw");
        File.WriteAllBytes(raw, new byte[4096]);

        var ours = Cli.Run("info", "--output=json", raw);

        Assert.That(ours.StandardOutput, Does.Contain("\\u00E9"));
        Assert.That(ours.StandardOutput, Is.EqualTo(Cli.Qemu("info", "--output=json", raw).StandardOutput));
    }

    [Test]
    public void Map_matches_qemu_img_for_a_sparse_raw_file()
    {
        using var temp = new TempDirectory("cli-raw");
        var raw = SparseRaw(temp.File("sparse.raw"));

        var json = Cli.Run("map", "--output", "json", raw);
        var human = Cli.Run("map", raw);

        Assert.That(json.StandardOutput, Is.EqualTo(Cli.Qemu("map", "--output=json", raw).StandardOutput));
        Assert.That(human.StandardOutput, Is.EqualTo(Cli.Qemu("map", raw).StandardOutput));
    }

    [TestCase(1000)]
    [TestCase(4097)]
    public void A_raw_file_of_partial_sectors_converts_and_maps_like_qemu(int size)
    {
        using var temp = new TempDirectory("cli-raw");
        var raw = temp.File("odd.raw");
        var content = new byte[size];
        new Random(size).NextBytes(content);
        File.WriteAllBytes(raw, content);
        var copy = temp.File("copy.raw");

        var converted = Cli.Run("convert", "-O", "raw", raw, copy);
        var map = Cli.Run("map", "--output=json", raw);

        Assert.That(converted.ExitCode, Is.Zero, converted.Describe);
        Assert.That(Hashing.Sha256OfFile(copy), Is.EqualTo(Qemu.RawSha256(raw, "raw")));
        Assert.That(map.StandardOutput, Is.EqualTo(Cli.Qemu("map", "--output=json", raw).StandardOutput));
    }

    [Test]
    public void Convert_to_raw_writes_the_same_bytes_sparsely()
    {
        using var temp = new TempDirectory("cli-raw");
        var raw = SparseRaw(temp.File("sparse.raw"));
        var copy = temp.File("copy.raw");

        var result = Cli.Run("convert", "-O", "raw", raw, copy);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(Hashing.Sha256OfFile(copy), Is.EqualTo(Qemu.RawSha256(raw, "raw")));
        Assert.That(new FileInfo(copy).Length, Is.EqualTo(new FileInfo(raw).Length));
        var allocated = Cli.Run("info", "--output=json", copy).StandardOutput;
        Assert.That(allocated, Does.Contain("\"actual-size\": 12288,"), "only the three written 4 KiB blocks are allocated");
    }

    [Test]
    public void Convert_progress_goes_to_stderr_like_qemu()
    {
        using var temp = new TempDirectory("cli-raw");
        var raw = SparseRaw(temp.File("sparse.raw"));

        var result = Cli.Run("convert", "-p", "-O", "raw", raw, temp.File("copy.raw"));

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(result.StandardOutput, Is.Empty);
        Assert.That(result.StandardError, Does.StartWith("    (0.00/100%)\r").And.EndWith("    (100.00/100%)\r\n"));
    }

    private static string SparseRaw(string path)
    {
        using var file = File.Create(path);
        file.SetLength(4 * 1024 * 1024 + 1024);
        foreach (var offset in new long[] { 0, 1024 * 1024, 3 * 1024 * 1024 + 8192 })
        {
            file.Position = offset;
            file.Write(Enumerable.Repeat((byte)0x5a, 4096).ToArray());
        }
        return path;
    }
}
