using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>qcowkit create and convert -O qcow2 against qemu-img: same output line, same refusals, clean images.</summary>
[TestFixture]
public sealed class WriteVerbTests
{
    [TestCase("", "1M")]
    [TestCase("compat=0.10,preallocation=metadata", "3M")]
    [TestCase("cluster_size=32k,extended_l2=on,refcount_bits=8,lazy_refcounts=on,compression_type=zstd", "1.5M")]
    [TestCase("compat=v3,cluster_size=4k", "1000")]
    public void Create_prints_qemus_formatting_line_and_makes_a_clean_image(string options, string size)
    {
        using var temp = new TempDirectory("cli-create");
        var arguments = options.Length > 0 ? new[] { "create", "-f", "qcow2", "-o", options } : new[] { "create", "-f", "qcow2" };
        var ours = Cli.RunProcess(temp.Path, [.. arguments, "ours.qcow2", size]);
        var theirs = ProcessRunner.Run(Qemu.ImgPath, [.. arguments, "theirs.qcow2", size], temp.Path);
        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput.Replace("ours.qcow2", "theirs.qcow2", StringComparison.Ordinal), Is.EqualTo(theirs.StandardOutput));
        var (exitCode, _, raw) = Qemu.Check(temp.File("ours.qcow2"));
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(Qemu.Compare(temp.File("ours.qcow2"), temp.File("theirs.qcow2"), strict: true), Is.Zero);
    }

    [Test]
    public void Create_takes_the_size_from_the_backing_file()
    {
        using var temp = new TempDirectory("cli-create");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "5M");
        var ours = Cli.RunProcess(temp.Path, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "ours.qcow2");
        var theirs = ProcessRunner.Run(Qemu.ImgPath, ["create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "theirs.qcow2"], temp.Path);
        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput.Replace("ours.qcow2", "theirs.qcow2", StringComparison.Ordinal), Is.EqualTo(theirs.StandardOutput));
        Assert.That(Qemu.Info(temp.File("ours.qcow2"))["virtual-size"]!.GetValue<long>(), Is.EqualTo(5 * 1024 * 1024));
    }

    [TestCase("extended_l2=on,cluster_size=8k")]
    [TestCase("compat=0.10,lazy_refcounts=on")]
    [TestCase("refcount_bits=3")]
    [TestCase("data_file_raw=on")]
    public void Create_refuses_what_qemu_refuses_with_its_message(string options)
    {
        using var temp = new TempDirectory("cli-create");
        var ours = Cli.Run("create", "-q", "-f", "qcow2", "-o", options, temp.File("x.qcow2"), "1M");
        var theirs = Cli.Qemu("create", "-q", "-f", "qcow2", "-o", options, temp.File("x.qcow2"), "1M");
        Assert.That(ours.ExitCode, Is.EqualTo(1));
        Assert.That(theirs.ExitCode, Is.EqualTo(1));
        var qemuMessage = theirs.StandardError.Trim().Replace($"qemu-img: {temp.File("x.qcow2")}: ", "", StringComparison.Ordinal);
        Assert.That(ours.StandardError.Trim(), Is.EqualTo($"qcowkit: error: {temp.File("x.qcow2")}: {qemuMessage}"));
    }

    [TestCase("")]
    [TestCase("-c")]
    public void Convert_to_qcow2_keeps_the_guest_bytes(string compress)
    {
        using var temp = new TempDirectory("cli-convert");
        var source = temp.File("source.qcow2");
        Qemu.CreateQcow2(source, "4M");
        Qemu.Io(source, "write -P 0x61 0 1M", "write -P 0x62 2M 300k");
        var output = temp.File("out.qcow2");
        var arguments = new List<string> { "convert", "-O", "qcow2", "-o", "compression_type=zstd,cluster_size=16k" };
        if (compress.Length > 0) arguments.Add(compress);
        arguments.AddRange([source, output]);
        var ours = Cli.Run([.. arguments]);
        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        var (exitCode, report, raw) = Qemu.Check(output);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(Qemu.Compare(source, output), Is.Zero);
        Assert.That(report!["compressed-clusters"]?.GetValue<long>() ?? 0, compress.Length > 0 ? Is.GreaterThan(0) : Is.Zero);
    }

    [Test]
    public void Resize_grows_like_qemu_img_resize()
    {
        using var temp = new TempDirectory("cli-resize");
        var image = temp.File("r.qcow2");
        Qemu.CreateQcow2(image, "1M");
        var ours = Cli.Run("resize", image, "+3M");
        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo("Image resized." + Environment.NewLine));
        Assert.That(Qemu.Info(image)["virtual-size"]!.GetValue<long>(), Is.EqualTo(4L * 1024 * 1024));
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        var refused = Cli.Run("resize", image, "1M");
        Assert.That(refused.ExitCode, Is.EqualTo(1));
        Assert.That(refused.StandardError, Does.Contain("Use the --shrink option to perform a shrink operation."));
    }
}
