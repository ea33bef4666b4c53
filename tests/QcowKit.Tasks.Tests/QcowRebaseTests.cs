using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

/// <summary>QcowRebase changes the backing file as qemu-img rebase does, keeping the guest view, and refuses with QCOW1051.</summary>
[TestFixture]
public sealed class QcowRebaseTests
{
    [Test]
    public void Rebasing_onto_another_base_keeps_the_guest_view_and_names_the_new_base()
    {
        using var temp = new TempDirectory("tasks-rebase");
        Qemu.CreateQcow2(temp.File("old.qcow2"), "4M");
        Qemu.Io(temp.File("old.qcow2"), "write -P 1 0 4M");
        Qemu.CreateQcow2(temp.File("new.qcow2"), "4M");
        Qemu.Io(temp.File("new.qcow2"), "write -P 2 1M 1M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "old.qcow2", "-F", "qcow2", temp.File("top.qcow2"));
        Qemu.Io(temp.File("top.qcow2"), "write -P 3 512k 64k");
        var before = Qemu.RawSha256(temp.File("top.qcow2"));
        var engine = new FakeBuildEngine();
        using var task = new QcowRebase { BuildEngine = engine, Image = TestImages.Item(temp.File("top.qcow2")), BackingFile = "new.qcow2" };

        Assert.That(task.Execute(), Is.True, engine.Describe);

        Assert.That((string?)Qemu.Info(temp.File("top.qcow2"))["backing-filename"], Is.EqualTo("new.qcow2"));
        Assert.That(Qemu.RawSha256(temp.File("top.qcow2")), Is.EqualTo(before));
        Assert.That(Qemu.Img("check", temp.File("top.qcow2")).ExitCode, Is.Zero);
    }

    [Test]
    public void A_raw_image_fails_with_QCOW1051_and_qemus_message()
    {
        using var temp = new TempDirectory("tasks-rebase");
        Qemu.ImgOk("create", "-q", "-f", "raw", temp.File("disk.raw"), "1M");
        var engine = new FakeBuildEngine();
        using var task = new QcowRebase { BuildEngine = engine, Image = TestImages.Item(temp.File("disk.raw")), BackingFile = "", Unsafe = true };

        Assert.That(task.Execute(), Is.False);

        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1051"), engine.Describe);
        Assert.That(error.Message, Does.EndWith("Could not change the backing file to '': Operation not supported"));
    }
}
