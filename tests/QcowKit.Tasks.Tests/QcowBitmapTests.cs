using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

/// <summary>QcowBitmap changes persistent bitmaps as qemu-img bitmap; refusals are QCOW1054 with qemu's message.</summary>
[TestFixture]
public sealed class QcowBitmapTests
{
    [Test]
    public void Operations_apply_in_order_and_qemu_reads_the_result()
    {
        using var temp = new TempDirectory("tasks-bitmap");
        Qemu.CreateQcow2(temp.File("disk.qcow2"), "4M");
        Qemu.ImgOk("bitmap", "--add", temp.File("disk.qcow2"), "b1");
        Qemu.Io(temp.File("disk.qcow2"), "write 1M 128k");
        var engine = new FakeBuildEngine();
        using var task = new QcowBitmap
        {
            BuildEngine = engine,
            Image = TestImages.Item(temp.File("disk.qcow2")),
            Bitmap = "b0",
            Operations = ["add", "merge:b1", "disable"],
            Granularity = "1M",
        };

        Assert.That(task.Execute(), Is.True, engine.Describe);

        var bitmaps = Qemu.Info(temp.File("disk.qcow2"))["format-specific"]!["data"]!["bitmaps"]!.AsArray();
        Assert.That(bitmaps[1]!["name"]!.GetValue<string>(), Is.EqualTo("b0"));
        Assert.That(bitmaps[1]!["granularity"]!.GetValue<long>(), Is.EqualTo(1024 * 1024));
        Assert.That(StoredBitmapBits.Read(temp.File("disk.qcow2"))[1], Does.StartWith("b0=1:"));
        Assert.That(Qemu.Check(temp.File("disk.qcow2")).ExitCode, Is.Zero);
    }

    [Test]
    public void A_missing_bitmap_fails_with_QCOW1054_and_qemus_message()
    {
        using var temp = new TempDirectory("tasks-bitmap");
        Qemu.CreateQcow2(temp.File("disk.qcow2"), "4M");
        var engine = new FakeBuildEngine();
        using var task = new QcowBitmap { BuildEngine = engine, Image = TestImages.Item(temp.File("disk.qcow2")), Bitmap = "nope", Operations = ["clear"] };

        Assert.That(task.Execute(), Is.False);

        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1054"), engine.Describe);
        Assert.That(error.Message, Does.EndWith("Operation clear on bitmap nope failed: Dirty bitmap 'nope' not found"));
    }

    [Test]
    public void An_unknown_operation_fails_with_QCOW1054()
    {
        using var temp = new TempDirectory("tasks-bitmap");
        Qemu.CreateQcow2(temp.File("disk.qcow2"), "4M");
        var engine = new FakeBuildEngine();
        using var task = new QcowBitmap { BuildEngine = engine, Image = TestImages.Item(temp.File("disk.qcow2")), Bitmap = "b0", Operations = ["merge"] };

        Assert.That(task.Execute(), Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1054"), engine.Describe);
    }
}
