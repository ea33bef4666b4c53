using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

[TestFixture]
public sealed class SnapshotCommandTests
{
    [Test]
    public void Snapshot_list_prints_what_qemu_img_prints()
    {
        using var temp = new TempDirectory("cli-snapshot");
        var image = temp.File("s.qcow2");
        Qemu.CreateQcow2(image, "1M");
        Qemu.ImgOk("snapshot", "-c", "made_by_qemu_with_a_long_name", image);
        var created = Cli.Run("snapshot", "-c", "ours", image);
        Assert.That(created.ExitCode, Is.Zero, created.Describe);
        var ours = Cli.Run("snapshot", "-l", image);
        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(Qemu.ImgOk("snapshot", "-l", image).StandardOutput));
        Assert.That(ours.StandardOutput, Does.Contain("\n2         ours "));
    }

    [Test]
    public void Snapshot_apply_and_delete_leave_a_clean_image()
    {
        using var temp = new TempDirectory("cli-snapshot");
        var image = temp.File("a.qcow2");
        Qemu.CreateQcow2(image, "1M");
        Qemu.Io(image, "write -P 0x5a 0 64k");
        Assert.That(Cli.Run("snapshot", "-c", "s", image).ExitCode, Is.Zero);
        Qemu.Io(image, "write -P 0x33 0 64k");
        var applied = Cli.Run("snapshot", "-a", "s", image);
        Assert.That(applied.ExitCode, Is.Zero, applied.Describe);
        Assert.That(Qemu.Io(image, "read -P 0x5a 0 64k").StandardOutput, Does.Not.Contain("Pattern verification failed"));
        var deleted = Cli.Run("snapshot", "-d", "s", image);
        Assert.That(deleted.ExitCode, Is.Zero, deleted.Describe);
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        Assert.That(Cli.Run("snapshot", "-l", image).StandardOutput, Is.Empty);
        var missing = Cli.Run("snapshot", "-d", "s", image);
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.StandardError, Does.Contain("Could not delete snapshot 's'"));
    }

    [Test]
    public void Snapshot_errors_carry_qemu_img_messages()
    {
        using var temp = new TempDirectory("cli-snapshot");
        var image = temp.File("e.qcow2");
        var oneBit = temp.File("b.qcow2");
        Qemu.CreateQcow2(image, "1M");
        Qemu.CreateQcow2(oneBit, "1M", "refcount_bits=1");
        Qemu.Io(oneBit, "write 0 4k");
        Qemu.ImgOk("snapshot", "-c", "s", image);
        Qemu.ImgOk("bitmap", "--add", image, "b");
        string[][] cases = [["-d", "nope", image], ["-a", "nope", image], ["-a", "s", image], ["-c", "t", oneBit]];
        foreach (var arguments in cases)
        {
            var qemu = Qemu.Img(["snapshot", .. arguments]);
            var ours = Cli.Run(["snapshot", .. arguments]);
            var message = qemu.StandardError.Trim().Replace("qemu-img: ", string.Empty, StringComparison.Ordinal);
            Assert.That((ours.ExitCode, qemu.ExitCode), Is.EqualTo((1, 1)), ours.Describe);
            Assert.That(ours.StandardError, Does.Contain(message), string.Join(' ', arguments));
        }
    }
}
