using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>Failures end with exit code 1 and one line naming the file, never a stack trace.</summary>
public class ErrorTests
{
    [TestCase("info")]
    [TestCase("map")]
    public void A_missing_image_exits_1_with_one_line(string verb)
    {
        using var temp = new TempDirectory("cli-errors");
        var missing = temp.File("missing.qcow2");

        var result = Cli.Run(verb, missing);

        Assert.That(result.ExitCode, Is.EqualTo(1).And.EqualTo(Cli.Qemu(verb, missing).ExitCode));
        Assert.That(result.StandardError, Is.EqualTo($"qcowkit: error: {missing}: No such file or directory\n"));
        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public void A_broken_header_exits_1_naming_the_file_and_the_field()
    {
        using var temp = new TempDirectory("cli-errors");
        var image = temp.File("broken.qcow2");
        Qemu.CreateQcow2(image, "1M");
        using (var file = File.OpenWrite(image))
        {
            file.Position = 20; // cluster_bits
            file.Write([0, 0, 0, 40]);
        }

        var result = Cli.Run("info", image);

        Assert.That(Cli.Qemu("info", image).ExitCode, Is.EqualTo(1));
        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.StandardError, Does.StartWith($"qcowkit: error: {image}: ").And.Contain("cluster_bits").And.EndWith("\n"));
        Assert.That(result.StandardError.TrimEnd('\n'), Does.Not.Contain("\n"));
    }

    [Test]
    public void Convert_to_an_unknown_format_is_refused_without_creating_the_target()
    {
        using var temp = new TempDirectory("cli-errors");
        var source = temp.File("source.raw");
        File.WriteAllBytes(source, new byte[4096]);
        var target = temp.File("target.vmdk");

        var result = Cli.Run("convert", "-O", "vmdk", source, target);

        Assert.That(result.ExitCode, Is.EqualTo(1));
        // The engine refuses the format before any file is touched, in qemu-img's words for a format it lacks (naming no file).
        Assert.That(result.StandardError, Does.StartWith("qcowkit: error: Unknown file format 'vmdk'"));
        Assert.That(File.Exists(target), Is.False);
    }

    [Test]
    public void An_unknown_output_value_is_a_usage_error()
    {
        var result = Cli.Run("info", "--output=yaml", "x.qcow2");

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.StandardError, Does.Contain("yaml"));
    }
}

/// <summary>The built tool run as a process, where the working directory decides relative names.</summary>
public class ProcessTests
{
    [Test]
    public void Relative_names_print_like_qemu_img_from_the_images_folder()
    {
        using var temp = new TempDirectory("cli-process");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "1M");
        ProcessRunner.Run(Qemu.ImgPath, ["create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2"], temp.Path);

        var ours = Cli.RunProcess(temp.Path, "info", "--backing-chain", "--output=json", "top.qcow2");
        var qemu = ProcessRunner.Run(Qemu.ImgPath, ["info", "--backing-chain", "--output=json", "top.qcow2"], temp.Path);

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput));
    }
}

/// <summary>qemu-img info reads only the image's own metadata: missing backing or data files do not stop it.</summary>
public class MissingFileInfoTests
{
    [Test]
    public void Info_works_when_the_backing_file_is_missing_and_the_chain_stops_there()
    {
        using var temp = new TempDirectory("cli-missing");
        var image = temp.File("orphan.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-u", "-b", "gone.qcow2", "-F", "qcow2", image, "1M");

        var info = Cli.Run("info", "--output=json", image);
        var chain = Cli.Run("info", "--backing-chain", image);

        Assert.That(info.ExitCode, Is.Zero, info.Describe);
        Assert.That(info.StandardOutput, Is.EqualTo(Cli.Qemu("info", "--output=json", image).StandardOutput));
        Assert.That(chain.ExitCode, Is.EqualTo(1).And.EqualTo(Cli.Qemu("info", "--backing-chain", image).ExitCode));
        Assert.That(chain.StandardError, Is.EqualTo($"qcowkit: error: {temp.File("gone.qcow2")}: No such file or directory\n"));
    }

    [Test]
    public void Info_works_when_the_external_data_file_is_missing()
    {
        using var temp = new TempDirectory("cli-missing");
        var image = temp.File("split.qcow2");
        var data = temp.File("split.data");
        Qemu.CreateQcow2(image, "1M", $"data_file={data}");
        File.Delete(data);

        var info = Cli.Run("info", "--output=json", image);

        Assert.That(info.ExitCode, Is.Zero, info.Describe);
        Assert.That(info.StandardOutput, Is.EqualTo(Cli.Qemu("info", "--output=json", image).StandardOutput));
    }

    [Test]
    public void Map_and_convert_need_the_backing_file()
    {
        using var temp = new TempDirectory("cli-missing");
        var image = temp.File("orphan.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-u", "-b", "gone.qcow2", "-F", "qcow2", image, "1M");

        var map = Cli.Run("map", image);
        var convert = Cli.Run("convert", "-O", "raw", image, temp.File("out.raw"));

        Assert.That(map.ExitCode, Is.EqualTo(1).And.EqualTo(Cli.Qemu("map", image).ExitCode));
        Assert.That(convert.ExitCode, Is.EqualTo(1));
        Assert.That(map.StandardError, Does.StartWith($"qcowkit: error: {image}: "));
        Assert.That(convert.StandardError, Does.StartWith($"qcowkit: error: {image}: "));
    }
}
