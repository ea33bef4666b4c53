using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>`qcowkit convert` and `create` refuse outputs that are inputs, by file identity, and write nothing.</summary>
[TestFixture]
public sealed class OutputIsInputTests
{
    [TestCase("symlink")]
    [TestCase("hardlink")]
    [TestCase("backing")]
    [TestCase("datafile")]
    public void Convert_refuses_an_output_that_is_an_input(string how)
    {
        using var temp = new TempDirectory("cli-safety");
        var @base = temp.File("base.qcow2");
        var data = temp.File("d.raw");
        Qemu.CreateQcow2(@base, "1M", $"data_file={data}");
        Qemu.Io(@base, "write -P 0x5a 0 64k");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", temp.File("mid.qcow2"));
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", temp.File("top.qcow2"));
        var top = temp.File("top.qcow2");
        var (output, input) = how switch
        {
            "symlink" => (temp.File("link.qcow2"), top),
            "hardlink" => (temp.File("hard.qcow2"), top),
            "backing" => (@base, @base),
            _ => (data, data),
        };
        if (how == "symlink") File.CreateSymbolicLink(output, top);
        if (how == "hardlink") Assert.That(ProcessRunner.Run("ln", [top, output]).ExitCode, Is.Zero);
        var before = Hashing.Sha256OfFile(input);

        var result = Cli.Run("convert", "-O", how == "datafile" ? "raw" : "qcow2", top, output);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.Describe);
        Assert.That(result.StandardError, Does.Contain("Refusing to write").And.Contain(Path.GetFileName(output)), result.Describe);
        Assert.That(Hashing.Sha256OfFile(input), Is.EqualTo(before));
    }

    [Test]
    public void Create_refuses_an_image_that_is_in_its_own_backing_chain()
    {
        using var temp = new TempDirectory("cli-safety");
        var @base = temp.File("base.qcow2");
        Qemu.CreateQcow2(@base, "1M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", temp.File("top.qcow2"));
        var before = Hashing.Sha256OfFile(@base);
        var result = Cli.Run("create", "-f", "qcow2", "-b", temp.File("top.qcow2"), "-F", "qcow2", @base);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.Describe);
        Assert.That(result.StandardError, Does.Contain("the backing file of"), result.Describe);
        Assert.That(Hashing.Sha256OfFile(@base), Is.EqualTo(before));
    }
}
