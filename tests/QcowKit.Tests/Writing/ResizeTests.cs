using QcowKit.Image;
using QcowKit.TestSupport;
using static QcowKit.Tests.Writing.WriteTestSupport;

namespace QcowKit.Tests.Writing;

[TestFixture]
public sealed class ResizeTests
{
    [Test]
    public void Growing_moves_the_l1_table_and_keeps_the_data()
    {
        using var temp = new TempDirectory("resize");
        var path = temp.File("g.qcow2");
        var model = new byte[64 * 1024 * 1024];
        new Random(7).NextBytes(model.AsSpan(1000, 100_000));
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse("cluster_size=512", "1M")))
        {
            image.Write(1000, model.AsSpan(1000, 100_000));
            image.Resize(64 * 1024 * 1024);
            image.Write(60_000_000, model.AsSpan(1000, 5000));
            model.AsSpan(1000, 5000).CopyTo(model.AsSpan(60_000_000));
        }
        Assert.That(Qemu.Info(path)["virtual-size"]!.GetValue<long>(), Is.EqualTo(64L * 1024 * 1024));
        AssertCleanAndEqual(path, model, temp.Path);
    }

    [Test]
    public void Growing_over_a_larger_backing_file_reads_zeros_in_the_new_area()
    {
        using var temp = new TempDirectory("resize");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "4M");
        Qemu.Io(temp.File("base.qcow2"), "write -P 0x77 0 4M");
        var path = temp.File("o.qcow2");
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse("backing_file=base.qcow2,backing_fmt=qcow2", "1M")))
        {
            image.Resize(3 * 1024 * 1024);
        }
        var model = new byte[3 * 1024 * 1024];
        Array.Fill(model, (byte)0x77, 0, 1024 * 1024);
        AssertCleanAndEqual(path, model, temp.Path);
    }

    [Test]
    public void Shrinking_needs_the_flag_and_no_data_past_the_new_end()
    {
        using var temp = new TempDirectory("resize");
        var path = temp.File("s.qcow2");
        using (var image = QcowImage.Create(path, QcowCreateOptions.Parse(null, "4M")))
        {
            image.Write(3 * 1024 * 1024, new byte[] { 9 });
            Assert.That(() => image.Resize(2 * 1024 * 1024), Throws.InvalidOperationException.With.Message.Contains("--shrink"));
            Assert.That(() => image.Resize(2 * 1024 * 1024, allowShrink: true), Throws.InvalidOperationException.With.Message.Contains("allocated"));
            image.Discard(3 * 1024 * 1024, 1024 * 1024);
            image.Resize(2 * 1024 * 1024, allowShrink: true);
        }
        Assert.That(Qemu.Info(path)["virtual-size"]!.GetValue<long>(), Is.EqualTo(2L * 1024 * 1024));
        AssertCleanAndEqual(path, new byte[2 * 1024 * 1024], temp.Path);
    }
}
