using System.Globalization;
using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

/// <summary>QcowMeasure gives qemu-img measure's figures for the same inputs and refuses what it refuses, with QCOW1050.</summary>
[TestFixture]
public sealed class QcowMeasureTests
{
    private TempDirectory _temp = null!;
    private string _image = null!;

    [OneTimeSetUp]
    public void CreateImage()
    {
        _temp = new TempDirectory("tasks-measure");
        _image = _temp.File("disk.qcow2");
        Qemu.CreateQcow2(_image, "40M");
        Qemu.Io(_image, "write -P 9 0 3M", "write -z 8M 1M");
        Qemu.ImgOk("bitmap", "--add", _image, "nightly");
    }

    [OneTimeTearDown]
    public void RemoveImage() => _temp.Dispose();

    /// <summary>qemu-img measure --output=json's three figures, or null for a missing bitmaps key.</summary>
    private static (long Required, long FullyAllocated, long? Bitmaps) QemuMeasure(params string[] arguments)
    {
        var json = System.Text.Json.JsonDocument.Parse(Qemu.ImgOk(["measure", "--output=json", .. arguments]).StandardOutput).RootElement;
        return (json.GetProperty("required").GetInt64(), json.GetProperty("fully-allocated").GetInt64(),
            json.TryGetProperty("bitmaps", out var bitmaps) ? bitmaps.GetInt64() : null);
    }

    [Test]
    public void Measuring_an_image_gives_qemu_img_measures_figures()
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowMeasure { BuildEngine = engine, Image = TestImages.Item(_image), OutputFormat = "qcow2", Options = "cluster_size=16k" };

        Assert.That(task.Execute(), Is.True, engine.Describe);

        var expected = QemuMeasure("-O", "qcow2", "-o", "cluster_size=16k", _image);
        Assert.That((task.Required, task.FullyAllocated, task.Bitmaps),
            Is.EqualTo((expected.Required, expected.FullyAllocated, expected.Bitmaps?.ToString(CultureInfo.InvariantCulture))));
    }

    [Test]
    public void Measuring_a_size_gives_qemu_img_measures_figures_without_bitmaps()
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowMeasure { BuildEngine = engine, Size = "1.5G", OutputFormat = "qcow2", Options = "refcount_bits=1" };

        Assert.That(task.Execute(), Is.True, engine.Describe);

        var expected = QemuMeasure("-O", "qcow2", "-o", "refcount_bits=1", "--size", "1.5G");
        Assert.That((task.Required, task.FullyAllocated, task.Bitmaps), Is.EqualTo((expected.Required, expected.FullyAllocated, "")));
    }

    [Test]
    public void An_option_qemu_refuses_fails_with_QCOW1050_and_qemus_two_messages()
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowMeasure { BuildEngine = engine, Image = TestImages.Item(_image), OutputFormat = "qcow2", Options = "cluster_size=3k,bogus=1" };

        Assert.That(task.Execute(), Is.False);

        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1050"), engine.Describe);
        Assert.That(error.Message, Is.EqualTo($"Cannot measure '{_image}': Invalid parameter 'bogus' (Invalid options for file format 'qcow2')"));
    }

    [Test]
    public void An_image_and_a_size_together_are_refused_as_qemu_img_refuses_them()
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowMeasure { BuildEngine = engine, Image = TestImages.Item(_image), Size = "1G" };

        Assert.That(task.Execute(), Is.False);

        Assert.That(engine.Errors.Single().Message, Does.EndWith("--size N cannot be used together with a filename."), engine.Describe);
    }
}
