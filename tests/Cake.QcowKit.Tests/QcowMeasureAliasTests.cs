using QcowKit;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

/// <summary>The measure aliases give qemu-img measure's figures and refusals for the same inputs.</summary>
[TestFixture]
public sealed class QcowMeasureAliasTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempDirectory("cake-measure");

    [TearDown]
    public void RemoveFolder() => _temp.Dispose();

    private static (long Required, long FullyAllocated) QemuMeasure(params string[] arguments)
    {
        var json = System.Text.Json.JsonDocument.Parse(Qemu.ImgOk(["measure", "--output=json", .. arguments]).StandardOutput).RootElement;
        return (json.GetProperty("required").GetInt64(), json.GetProperty("fully-allocated").GetInt64());
    }

    [Test]
    public void QcowMeasure_of_an_image_equals_qemu_img_measure()
    {
        var image = _temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "24M");
        Qemu.Io(image, "write -P 4 1M 5M");
        using var cake = new CakeTestContext(_temp.Path);

        var measured = cake.Context.QcowMeasure("disk.qcow2", new QcowMeasureSettings().WithOutputFormat("qcow2").WithOptions("cluster_size=2M"));

        Assert.That((measured.Required, measured.FullyAllocated), Is.EqualTo(QemuMeasure("-O", "qcow2", "-o", "cluster_size=2M", image)));
    }

    [Test]
    public void QcowMeasureSize_equals_qemu_img_measure_with_size()
    {
        using var cake = new CakeTestContext(_temp.Path);

        var measured = cake.Context.QcowMeasureSize("0x40000000", new QcowMeasureSettings().WithOutputFormat("qcow2").WithOptions("extended_l2=on"));

        Assert.That((measured.Required, measured.FullyAllocated), Is.EqualTo(QemuMeasure("-O", "qcow2", "-o", "extended_l2=on", "--size", "0x40000000")));
    }

    [Test]
    public void QcowMeasureSize_refuses_what_qemu_img_refuses_with_its_message()
    {
        using var cake = new CakeTestContext(_temp.Path);

        var refusal = Assert.Throws<QcowOptionsException>(() => cake.Context.QcowMeasureSize("1M", new QcowMeasureSettings().WithOutputFormat("qcow2").WithOptions("compat=v3")));

        Assert.That(refusal!.Message, Is.EqualTo("Invalid compatibility level: 'v3'"));
    }
}
