using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>qcowkit seed, checked with fsck.fat and mtools.</summary>
public class SeedCommandTests
{
    private static readonly Dictionary<string, string?> Utf8 = new() { ["LC_ALL"] = "C.UTF-8", ["MTOOLSRC"] = "/dev/null" };

    private static ProcessResult Tool(string tool, params string[] args)
    {
        var path = new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Select(f => Path.Combine(f, tool)).FirstOrDefault(File.Exists);
        Assert.That(path, Is.Not.Null, $"{tool} is required by this test: apt-get install -y dosfstools mtools (.ci/run does this)");
        return ProcessRunner.Run(path!, args, environment: Utf8);
    }

    private static ProcessResult Ok(ProcessResult result)
    {
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        return result;
    }

    [Test]
    public void Seed_dir_writes_a_fat32_volume_of_the_given_size_with_the_label()
    {
        using var temp = new TempDirectory("cli-seed");
        var content = temp.File("content");
        Directory.CreateDirectory(Path.Combine(content, "sub folder"));
        File.WriteAllText(Path.Combine(content, "hello world.txt"), "hello\n");
        File.WriteAllText(Path.Combine(content, "sub folder", "nested.json"), "{}\n");
        var image = temp.File("disk.img");

        var result = Cli.Run("seed", "--dir", content, "--fs", "fat32", "--label", "DATA", "--size", "256M", image);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(result.StandardOutput, Does.Contain("FAT32").And.Contain("2 files in 1 folders"));
        Assert.That(new FileInfo(image).Length, Is.EqualTo(256L * 1024 * 1024));
        Ok(Tool("fsck.fat", "-n", image));
        Assert.That(Ok(Tool("fatlabel", image)).StandardOutput.Trim(), Is.EqualTo("DATA"));
        Assert.That(Ok(Tool("mtype", "-i", image, "::/sub folder/nested.json")).StandardOutput, Is.EqualTo("{}\n"));
    }

    [Test]
    public void Seed_cloud_init_writes_a_cidata_volume_with_user_data_and_meta_data()
    {
        using var temp = new TempDirectory("cli-seed");
        File.WriteAllText(temp.File("u.yaml"), "#cloud-config\nhostname: seeded\n");
        File.WriteAllText(temp.File("m.yaml"), "instance-id: cli-1\n");
        var image = temp.File("seed.img");

        var result = Cli.Run("seed", "--cloud-init", "--user-data", temp.File("u.yaml"), "--meta-data", temp.File("m.yaml"), image);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Ok(Tool("fsck.fat", "-n", image));
        Assert.That(Ok(Tool("mlabel", "-s", "-i", image, "::")).StandardOutput, Does.Contain("CIDATA"));
        Assert.That(Ok(Tool("mtype", "-i", image, "::/user-data")).StandardOutput, Is.EqualTo("#cloud-config\nhostname: seeded\n"));
        Assert.That(Ok(Tool("mtype", "-i", image, "::/meta-data")).StandardOutput, Is.EqualTo("instance-id: cli-1\n"));
    }

    [Test]
    public void Seed_refuses_an_existing_target_without_overwrite_and_leaves_it_alone()
    {
        using var temp = new TempDirectory("cli-seed");
        var image = temp.File("disk.img");
        File.WriteAllText(image, "keep me");

        var result = Cli.Run("seed", "--generate", "1M", image);

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.StandardError.Trim(), Does.StartWith($"qcowkit: error: {image}: ").And.Contain("already exists"));
        Assert.That(File.ReadAllText(image), Is.EqualTo("keep me"));
    }

    [Test]
    public void Seed_needs_exactly_one_content_source()
    {
        using var temp = new TempDirectory("cli-seed");

        var result = Cli.Run("seed", "--generate", "1M", "--raw", temp.File("x.raw"), temp.File("disk.img"));

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.StandardError, Does.Contain(QcowKit.Seed.QcowSeeder.ContentChoiceMessage));
        Assert.That(File.Exists(temp.File("disk.img")), Is.False);
    }

    [Test]
    public void Seed_raw_copies_at_the_offset_and_reproducible_dir_is_stable()
    {
        using var temp = new TempDirectory("cli-seed");
        var raw = temp.File("boot.raw");
        File.WriteAllBytes(raw, Enumerable.Range(0, 8192).Select(i => (byte)(i % 251 + 1)).ToArray());
        var image = temp.File("disk.img");

        Assert.That(Cli.Run("seed", "--raw", raw, "--offset", "1M", "--size", "4M", "-q", image).ExitCode, Is.Zero);

        var bytes = File.ReadAllBytes(image);
        Assert.That(bytes.AsSpan(1024 * 1024, 8192).SequenceEqual(File.ReadAllBytes(raw)), Is.True);

        var content = temp.File("content");
        Directory.CreateDirectory(content);
        File.WriteAllText(Path.Combine(content, "a.txt"), "a");
        Assert.That(Cli.Run("seed", "--dir", content, "--partition", "gpt", "--reproducible", "-q", temp.File("1.img")).ExitCode, Is.Zero);
        Assert.That(Cli.Run("seed", "--dir", content, "--partition", "gpt", "--reproducible", "-q", temp.File("2.img")).ExitCode, Is.Zero);
        Assert.That(Hashing.Sha256OfFile(temp.File("2.img")), Is.EqualTo(Hashing.Sha256OfFile(temp.File("1.img"))));
    }

    [Test]
    public void Seed_dir_into_qcow2_passes_qemu_img_check_and_converts_to_the_same_volume()
    {
        using var temp = new TempDirectory("cli-seed");
        var content = temp.File("content");
        Directory.CreateDirectory(content);
        File.WriteAllText(Path.Combine(content, "config file.ini"), "[a]\nb=c\n");
        var image = temp.File("disk.qcow2");

        var result = Cli.Run("seed", "--dir", content, "--fs", "fat32", "--label", "DATA", "--size", "256M", "-o", "cluster_size=131072", image);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        var check = Qemu.Check(image);
        Assert.That(check.ExitCode, Is.Zero, check.Raw.Describe);
        var info = Qemu.Info(image);
        Assert.That(info["virtual-size"]!.GetValue<long>(), Is.EqualTo(256L * 1024 * 1024));
        Assert.That(info["cluster-size"]!.GetValue<long>(), Is.EqualTo(131072));
        var raw = temp.File("disk.raw");
        Qemu.ImgOk("convert", "-O", "raw", image, raw);
        Ok(Tool("fsck.fat", "-n", raw));
        Assert.That(Ok(Tool("fatlabel", raw)).StandardOutput.Trim(), Is.EqualTo("DATA"));
        Assert.That(Ok(Tool("mtype", "-i", raw, "::/config file.ini")).StandardOutput, Is.EqualTo("[a]\nb=c\n"));
    }

    [Test]
    public void Seed_cloud_init_into_qcow2_passes_qemu_img_check_with_label_cidata()
    {
        using var temp = new TempDirectory("cli-seed");
        File.WriteAllText(temp.File("u.yaml"), "#cloud-config\n");
        File.WriteAllText(temp.File("m.yaml"), "instance-id: x\n");
        var image = temp.File("seed.qcow2");

        var result = Cli.Run("seed", "--cloud-init", "--user-data", temp.File("u.yaml"), "--meta-data", temp.File("m.yaml"), image);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        var raw = temp.File("seed.raw");
        Qemu.ImgOk("convert", "-O", "raw", image, raw);
        Ok(Tool("fsck.fat", "-n", raw));
        Assert.That(Ok(Tool("fatlabel", raw)).StandardOutput.Trim(), Is.EqualTo("CIDATA"));
        Assert.That(Ok(Tool("mtype", "-i", raw, "::/user-data")).StandardOutput, Is.EqualTo("#cloud-config\n"));
    }

    [Test]
    public void Seed_timestamp_sets_every_entry_time()
    {
        using var temp = new TempDirectory("cli-seed");
        var content = temp.File("content");
        Directory.CreateDirectory(content);
        File.WriteAllText(Path.Combine(content, "t.txt"), "t");
        var image = temp.File("disk.img");

        Assert.That(Cli.Run("seed", "--dir", content, "--timestamp", "2020-02-02T10:20:30Z", "-q", image).ExitCode, Is.Zero);

        Assert.That(Ok(Tool("mdir", "-i", image, "::/")).StandardOutput, Does.Contain("2020-02-02  10:20"));
    }
}
