using Microsoft.Build.Framework;
using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

/// <summary>
/// The tasks under qemu's image locks: while a real qemu-io writes an image, every task that would write it fails
/// with QCOW1008 carrying qemu's text and leaves its bytes alone; the read-only tasks fail the same way unless
/// ForceShare="true" (qemu-img's -U) asks them to read anyway.
/// </summary>
[TestFixture]
public sealed class ImageLockTaskTests
{
    private TempDirectory _temp = null!;
    private string _image = null!;

    [SetUp]
    public void CreateImages()
    {
        _temp = new TempDirectory("tasks-locks");
        _image = TestImages.Clean(_temp, "img.qcow2");
        TestImages.Clean(_temp, "other.qcow2");
    }

    [TearDown]
    public void RemoveImages() => _temp.Dispose();

    private static IEnumerable<TestCaseData> WritingTasks()
    {
        yield return Case("QcowCreate", (engine, image, other) => new QcowCreate { BuildEngine = engine, Image = TestImages.Item(image), Size = "1M" });
        yield return Case("QcowConvert onto it", (engine, image, other) => new QcowConvert { BuildEngine = engine, Source = TestImages.Item(other), Destination = TestImages.Item(image) });
        yield return Case("QcowConvert onto it as raw", (engine, image, other) => new QcowConvert
        {
            BuildEngine = engine, Source = TestImages.Item(other), Destination = TestImages.Item(image), OutputFormat = "raw",
        });
        yield return Case("QcowSeed over it", (engine, image, other) => new QcowSeed { BuildEngine = engine, Image = TestImages.Item(image), GeneratedLength = "64K" });
        yield return Case("QcowSeed into it", (engine, image, other) => new QcowSeed
        {
            BuildEngine = engine, Image = TestImages.Item(image), GeneratedLength = "64K", UseExisting = true,
        });

        static TestCaseData Case(string name, Func<IBuildEngine, string, string, QcowTask> task) => new TestCaseData(task).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(WritingTasks))]
    public void A_writing_task_fails_with_QCOW1008_on_an_image_qemu_io_writes_and_changes_nothing(Func<IBuildEngine, string, string, QcowTask> create)
    {
        var before = Hashing.Sha256OfFile(_image);
        var engine = new FakeBuildEngine();
        bool ok;
        using (QemuHolder.QemuIo(_image))
        using (var task = create(engine, _image, _temp.File("other.qcow2")))
        {
            ok = task.Execute();
        }
        Assert.That(ok, Is.False);
        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1008"), engine.Describe);
        Assert.That(error.File, Is.EqualTo(_image));
        Assert.That(error.Message, Is.EqualTo($"{_image}: Failed to get \"write\" lock (Is another process using the image [{_image}]?)"));
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    private static IEnumerable<TestCaseData> ReadingTasks()
    {
        yield return Case("QcowValidate", (engine, image, forceShare) => new QcowValidate { BuildEngine = engine, Image = [TestImages.Item(image)], ForceShare = forceShare });
        yield return Case("QcowInfo", (engine, image, forceShare) => new QcowInfo { BuildEngine = engine, Image = TestImages.Item(image), ForceShare = forceShare });
        yield return Case("QcowConvert from it", (engine, image, forceShare) => new QcowConvert
        {
            BuildEngine = engine, Source = TestImages.Item(image), Destination = TestImages.Item(Path.Combine(Path.GetDirectoryName(image)!, "out.qcow2")),
            ForceShare = forceShare,
        });

        static TestCaseData Case(string name, Func<IBuildEngine, string, bool, QcowTask> task) => new TestCaseData(task).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(ReadingTasks))]
    public void A_read_only_task_fails_with_QCOW1008_on_an_image_qemu_io_writes(Func<IBuildEngine, string, bool, QcowTask> create)
    {
        var engine = new FakeBuildEngine();
        bool ok;
        using (QemuHolder.QemuIo(_image))
        using (var task = create(engine, _image, false))
        {
            ok = task.Execute();
        }
        Assert.That(ok, Is.False);
        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1008"), engine.Describe);
        Assert.That(error.Message, Is.EqualTo($"{_image}: Failed to get shared \"write\" lock (Is another process using the image [{_image}]?)"));
    }

    [TestCaseSource(nameof(ReadingTasks))]
    public void A_read_only_task_with_ForceShare_works_on_an_image_qemu_io_writes(Func<IBuildEngine, string, bool, QcowTask> create)
    {
        var engine = new FakeBuildEngine();
        bool ok;
        using (QemuHolder.QemuIo(_image))
        using (var task = create(engine, _image, true))
        {
            ok = task.Execute();
        }
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(engine.Errors, Is.Empty);
    }
}
