using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

/// <summary>QcowCommit writes an overlay into its backing file and empties it, as qemu-img commit; refusals are QCOW1052.</summary>
[TestFixture]
public sealed class QcowCommitTests
{
    [Test]
    public void Committing_an_overlay_moves_its_guest_view_into_the_backing_file_and_empties_it()
    {
        using var temp = new TempDirectory("tasks-commit");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "4M");
        Qemu.Io(temp.File("base.qcow2"), "write -P 1 0 4M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", temp.File("top.qcow2"));
        Qemu.Io(temp.File("top.qcow2"), "write -P 3 512k 64k", "write -z 2M 64k");
        var before = Qemu.RawSha256(temp.File("top.qcow2"));
        var engine = new FakeBuildEngine();
        using var task = new QcowCommit { BuildEngine = engine, Image = TestImages.Item(temp.File("top.qcow2")) };

        Assert.That(task.Execute(), Is.True, engine.Describe);

        Assert.That(Qemu.RawSha256(temp.File("base.qcow2")), Is.EqualTo(before));
        Assert.That(Qemu.Map(temp.File("top.qcow2")).Any(e => (int)e!["depth"]! == 0 && (bool)e["present"]!), Is.False, "the overlay is empty");
        Assert.That(Qemu.Img("check", temp.File("base.qcow2")).ExitCode, Is.Zero);
    }

    [Test]
    public void An_image_without_a_backing_file_fails_with_QCOW1052_and_qemus_message()
    {
        using var temp = new TempDirectory("tasks-commit");
        Qemu.CreateQcow2(temp.File("alone.qcow2"), "1M");
        var engine = new FakeBuildEngine();
        using var task = new QcowCommit { BuildEngine = engine, Image = TestImages.Item(temp.File("alone.qcow2")) };

        Assert.That(task.Execute(), Is.False);

        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1052"), engine.Describe);
        Assert.That(error.Message, Does.EndWith("Image does not have a backing file"));
    }
}
