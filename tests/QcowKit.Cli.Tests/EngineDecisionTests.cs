using System.Text.Json.Nodes;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// Inputs the CLI once parsed or judged on its own, differently from the engine and from qemu-img: sizes,
/// option lists, raw-output options, JSON escaping. Each now goes through the engine.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class EngineDecisionTests
{
    [Test]
    public void Untrusted_check_takes_a_fractional_max_virtual_size()
    {
        using var temp = new TempDirectory("cli-engine");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "64M");

        var result = Cli.Run("check", "--untrusted", "--max-virtual-size", "1.5T", image);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
    }

    [Test]
    public void Untrusted_check_refuses_an_oversized_disk_given_in_hex()
    {
        using var temp = new TempDirectory("cli-engine");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "64M");

        var result = Cli.Run("check", "--untrusted", "--max-virtual-size", "0x100000", image);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Describe);
        Assert.That(result.StandardError, Does.Contain("QCOW0706"));
    }

    [Test]
    public void Seed_size_takes_qemu_hex_sizes()
    {
        using var temp = new TempDirectory("cli-engine");
        var image = temp.File("disk.qcow2");

        var result = Cli.Run("seed", "-q", "--generate", "64k", "--size", "0x100000", image);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(Qemu.Info(image)["virtual-size"]!.GetValue<long>(), Is.EqualTo(1L << 20));
    }

    [TestCase("cluster_size=4k,")]
    [TestCase(",cluster_size=4k")]
    public void Create_refuses_an_empty_option_list_element_as_qemu_img_does(string optionList)
    {
        using var temp = new TempDirectory("cli-engine");
        var image = temp.File("x.qcow2");
        var qemu = Cli.Qemu("create", "-f", "qcow2", "-o", optionList, temp.File("qemu.qcow2"), "1M");

        var result = Cli.Run("create", "-f", "qcow2", "-o", optionList, image, "1M");

        Assert.That(qemu.ExitCode, Is.EqualTo(1), qemu.Describe);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.Describe);
        Assert.That(result.StandardError, Does.Contain($"Invalid option list: {optionList}"));
        Assert.That(File.Exists(image), Is.False);
    }

    [Test]
    public void Convert_to_raw_takes_a_size_option_as_qemu_img_does()
    {
        using var temp = new TempDirectory("cli-engine");
        var source = temp.File("source.qcow2");
        Qemu.CreateQcow2(source, "1M");
        var qemu = Cli.Qemu("convert", "-O", "raw", "-o", "size=1M", source, temp.File("qemu.raw"));

        var result = Cli.Run("convert", "-O", "raw", "-o", "size=1M", source, temp.File("ours.raw"));

        Assert.That(qemu.ExitCode, Is.Zero, qemu.Describe);
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
    }

    [Test]
    public void Convert_to_raw_refuses_a_qcow2_option_with_qemu_imgs_message()
    {
        using var temp = new TempDirectory("cli-engine");
        var source = temp.File("source.qcow2");
        Qemu.CreateQcow2(source, "1M");
        var qemu = Cli.Qemu("convert", "-O", "raw", "-o", "cluster_size=4k", source, temp.File("qemu.raw"));

        var result = Cli.Run("convert", "-O", "raw", "-o", "cluster_size=4k", source, temp.File("ours.raw"));

        Assert.That(result.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(1), result.Describe);
        Assert.That(result.StandardError, Is.EqualTo(qemu.StandardError.Replace("qemu-img:", "qcowkit: error:", StringComparison.Ordinal)));
    }

    [Test]
    public void Check_json_writes_file_names_as_qemu_img_does()
    {
        using var temp = new TempDirectory("cli-engine");
        var image = temp.File("a+b&c\"d\\e é𝄞.qcow2");
        Qemu.CreateQcow2(image, "1M");
        var qemu = Cli.Qemu("check", "--output=json", image);

        var result = Cli.Run("check", "--output=json", image);

        var filenameLine = qemu.StandardOutput.Split('\n').Single(l => l.Contains("\"filename\"", StringComparison.Ordinal));
        Assert.That(filenameLine, Does.Contain("\\u00E9\\uD834\\uDD1E"), "qemu escapes non-ASCII as uppercase \\u");
        Assert.That(result.StandardOutput, Does.Contain(filenameLine), result.Describe);
        Assert.That(JsonNode.Parse(result.StandardOutput)!["filename"]!.GetValue<string>(), Is.EqualTo(image));
    }
}
