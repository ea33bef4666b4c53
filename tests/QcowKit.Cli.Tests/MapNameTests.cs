using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>qemu-img map's human table names each range's file as it was given, relative names included.</summary>
public class MapNameTests
{
    [TestCase("top.qcow2")]
    [TestCase("./top.qcow2")]
    [TestCase("sub/over.qcow2")]
    [TestCase("sub/../sub/over.qcow2")]
    public void Human_map_prints_file_names_as_qemu_img_does(string image)
    {
        using var temp = new TempDirectory("cli-map-names");
        Directory.CreateDirectory(temp.File("sub"));
        void Img(params string[] args)
        {
            var result = ProcessRunner.Run(Qemu.ImgPath, args, temp.Path);
            Assert.That(result.ExitCode, Is.Zero, result.Describe);
        }
        void Write(string file, string format, string command)
        {
            var result = ProcessRunner.Run(Qemu.IoPath, ["-f", format, "-c", command, file], temp.Path);
            Assert.That(result.ExitCode, Is.Zero, result.Describe);
        }
        // A raw base, a qcow2 over it, a qcow2 with an external data file over that, and one in a subfolder on top.
        Img("create", "-q", "-f", "raw", "base.raw", "4M");
        Write("base.raw", "raw", "write -P 1 3M 64k");
        Img("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "mid.qcow2");
        Write("mid.qcow2", "qcow2", "write -P 2 2M 64k");
        Img("create", "-q", "-f", "qcow2", "-o", "data_file=top.data", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2");
        Write("top.qcow2", "qcow2", "write -P 3 1M 64k");
        Img("create", "-q", "-f", "qcow2", "-b", "../top.qcow2", "-F", "qcow2", "sub/over.qcow2");
        Write("sub/over.qcow2", "qcow2", "write -P 4 0 64k");

        var qemu = ProcessRunner.Run(Qemu.ImgPath, ["map", image], temp.Path);
        var ours = Cli.RunProcess(temp.Path, "map", image);

        Assert.That(qemu.ExitCode, Is.Zero, qemu.Describe);
        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput));
        Assert.That(ours.StandardOutput, Does.Not.Contain(temp.Path), "an absolute name where qemu prints the name as given");
    }
}
