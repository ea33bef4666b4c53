using QcowKit;
using QcowKit.Bitmaps;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

/// <summary>The bitmap alias changes bitmaps as qemu-img bitmap does, with the engine's refusals.</summary>
[TestFixture]
public sealed class QcowBitmapAliasTests
{
    [Test]
    public void QcowBitmap_adds_and_merges_in_order_and_qemu_reads_the_result()
    {
        using var temp = new TempDirectory("cake-bitmap");
        Qemu.CreateQcow2(temp.File("disk.qcow2"), "4M");
        Qemu.ImgOk("bitmap", "--add", temp.File("disk.qcow2"), "b1");
        Qemu.Io(temp.File("disk.qcow2"), "write 0 64k");
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowBitmap("disk.qcow2", new QcowBitmapRequest
        {
            BitmapName = "b0",
            Operations = [new(QcowBitmapAction.Add), new(QcowBitmapAction.Merge, "b1"), new(QcowBitmapAction.Disable)],
            Granularity = 4096,
        });

        var bitmaps = Qemu.Info(temp.File("disk.qcow2"))["format-specific"]!["data"]!["bitmaps"]!.AsArray();
        Assert.That(bitmaps.Select(b => b!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "b1", "b0" }));
        Assert.That(bitmaps[1]!["granularity"]!.GetValue<long>(), Is.EqualTo(4096));
        Assert.That(bitmaps[1]!["flags"]!.AsArray(), Is.Empty);
        Assert.That(StoredBitmapBits.Read(temp.File("disk.qcow2"))[1], Does.StartWith("b0=16:"));
        Assert.That(Qemu.Check(temp.File("disk.qcow2")).ExitCode, Is.Zero);
    }

    [Test]
    public void QcowBitmap_refuses_an_existing_name_in_qemus_words()
    {
        using var temp = new TempDirectory("cake-bitmap");
        Qemu.CreateQcow2(temp.File("disk.qcow2"), "4M");
        Qemu.ImgOk("bitmap", "--add", temp.File("disk.qcow2"), "b1");
        using var cake = new CakeTestContext(temp.Path);

        var refusal = Assert.Throws<QcowOptionsException>(() => cake.Context.QcowBitmap("disk.qcow2",
            new QcowBitmapRequest { BitmapName = "b1", Operations = [new(QcowBitmapAction.Add)] }));
        Assert.That(refusal!.Message, Is.EqualTo("Operation add on bitmap b1 failed: Bitmap already exists: b1"));
    }
}
