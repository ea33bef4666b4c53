using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

public class DataFileTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void Reads_external_data_file_images_like_qemu(bool raw)
    {
        using var temp = new TempDirectory("datafile");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "4M", $"data_file={temp.File("image.data")},data_file_raw={(raw ? "on" : "off")}");
        Qemu.Io(path, "write -P 0x71 0 100k", "write -z 1M 64k", "write -P 0x72 3000000 7000", "discard 0 64k");
        GuestBytes.AssertSameAsQemu(path);
        using var image = QcowImage.Open(path);
        var info = image.GetInfo();
        Assert.That(info.DataFile, Is.EqualTo(temp.File("image.data")));
        Assert.That(info.DataFileRaw, Is.EqualTo(raw));
        Assert.That(image.DataFilePath, Is.EqualTo(temp.File("image.data")));
    }

    [Test]
    [NonParallelizable]
    public void Resolves_a_relative_data_file_name_against_the_current_directory_like_qemu()
    {
        using var temp = new TempDirectory("reldata");
        Directory.CreateDirectory(temp.File("images"));
        var result = ProcessRunner.Run(Qemu.ImgPath, ["create", "-q", "-f", "qcow2", "-o", "data_file=disk.data", "images/disk.qcow2", "1M"], temp.Path);
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(File.Exists(temp.File("disk.data")), Is.True, "qemu-img put the relative data file in its working directory");
        result = ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "write -P 0x73 0 64k", "images/disk.qcow2"], temp.Path);
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        var previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = temp.Path;
            using var image = QcowImage.Open(temp.File("images/disk.qcow2"));
            var buffer = new byte[65536];
            image.Read(0, buffer);
            Assert.That(buffer, Is.All.EqualTo((byte)0x73));
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Test]
    public void Untrusted_policy_does_not_open_the_data_file()
    {
        using var temp = new TempDirectory("untrusteddata");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M", $"data_file={temp.File("image.data")}");
        Qemu.Io(path, "write -P 0x74 0 64k");
        File.Delete(temp.File("image.data"));
        using var image = QcowImage.Open(path, QcowOpenOptions.Untrusted);
        Assert.That(image.DataFilePath, Is.Null);
        Assert.Throws<InvalidOperationException>(() => image.Read(0, new byte[512]));
    }
}
