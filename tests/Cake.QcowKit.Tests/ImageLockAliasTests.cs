using Cake.Core;
using Cake.Core.IO;
using QcowKit;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

/// <summary>
/// The aliases under qemu's image locks: while a real qemu-io writes an image, every alias that would write it
/// throws QcowImageLockedException with qemu's text and leaves its bytes alone; the read-only aliases are refused
/// too unless <c>WithForceShare()</c> asks to read anyway, as qemu-img's -U does.
/// </summary>
[TestFixture]
public sealed class ImageLockAliasTests
{
    private TempDirectory _temp = null!;
    private string _image = null!;

    [SetUp]
    public void CreateImages()
    {
        _temp = new TempDirectory("cake-locks");
        _image = _temp.File("img.qcow2");
        Qemu.CreateQcow2(_image, "4M");
        Qemu.Io(_image, "write -P 0x5a 0 256k");
        Qemu.CreateQcow2(_temp.File("other.qcow2"), "4M");
    }

    [TearDown]
    public void RemoveImages() => _temp.Dispose();

    private static IEnumerable<TestCaseData> WritingAliases()
    {
        yield return Case("QcowCreate", context => context.QcowCreate(new FilePath("img.qcow2"), new QcowCreateSettings().WithSize("1M")));
        yield return Case("QcowConvert onto it", context => context.QcowConvert(new FilePath("other.qcow2"), new FilePath("img.qcow2")));
        yield return Case("QcowConvert onto it as raw", context => context.QcowConvert(new FilePath("other.qcow2"), new FilePath("img.qcow2"),
            new QcowConvertSettings().WithOutputFormat("raw")));
        yield return Case("QcowSeed over it", context => context.QcowSeed(new FilePath("img.qcow2"),
            new QcowSeedSettings().WithGeneratedData(65536).WithOverwrite()));
        yield return Case("QcowSeed into it", context => context.QcowSeed(new FilePath("img.qcow2"),
            new QcowSeedSettings().WithGeneratedData(65536).WithExistingImage()));

        static TestCaseData Case(string name, Action<ICakeContext> alias) => new TestCaseData(alias).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(WritingAliases))]
    public void A_writing_alias_refuses_an_image_qemu_io_writes_with_qemus_message_and_changes_nothing(Action<ICakeContext> alias)
    {
        var before = Hashing.Sha256OfFile(_image);
        using var cake = new CakeTestContext(_temp.Path);
        QcowImageLockedException? refusal;
        using (QemuHolder.QemuIo(_image))
        {
            refusal = Assert.Throws<QcowImageLockedException>(() => alias(cake.Context));
        }
        Assert.That(refusal!.Reason, Is.EqualTo("Failed to get \"write\" lock"));
        Assert.That(refusal.Hint, Does.StartWith("Is another process using the image [").And.EndWith("img.qcow2]?"));
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    [Test]
    public void The_read_only_aliases_are_refused_while_qemu_io_writes_unless_they_force_share()
    {
        using var cake = new CakeTestContext(_temp.Path);
        var image = new FilePath("img.qcow2");
        using (QemuHolder.QemuIo(_image))
        {
            Assert.Multiple(() =>
            {
                Assert.That(() => cake.Context.QcowValidate(image), Throws.TypeOf<QcowImageLockedException>().With.Property("Reason").EqualTo("Failed to get shared \"write\" lock"));
                Assert.That(() => cake.Context.QcowInfo(image), Throws.TypeOf<QcowImageLockedException>());
                Assert.That(() => cake.Context.QcowCompare(image, image), Throws.TypeOf<QcowImageLockedException>());
                Assert.That(() => cake.Context.QcowConvert(image, new FilePath("out.qcow2")), Throws.TypeOf<QcowImageLockedException>());

                Assert.That(cake.Context.QcowValidate(image, new QcowValidateSettings().WithForceShare()).ExitCode, Is.Zero);
                Assert.That(cake.Context.QcowInfo(image, new QcowInfoSettings().WithForceShare()).VirtualSize, Is.EqualTo(4 << 20));
                Assert.That(cake.Context.QcowCompare(image, image, new QcowCompareSettings().WithForceShare()).Identical, Is.True);
                cake.Context.QcowConvert(image, new FilePath("out.qcow2"), new QcowConvertSettings().WithForceShare());
            });
        }
        Assert.That(Qemu.Compare(_image, _temp.File("out.qcow2")), Is.Zero);
    }

    [Test]
    public void The_read_only_aliases_work_while_qemu_io_only_reads()
    {
        using var cake = new CakeTestContext(_temp.Path);
        var image = new FilePath("img.qcow2");
        using (QemuHolder.QemuIo(_image, readOnly: true))
        {
            Assert.That(cake.Context.QcowValidate(image).ExitCode, Is.Zero);
            Assert.That(cake.Context.QcowInfo(image).VirtualSize, Is.EqualTo(4 << 20));
            Assert.That(cake.Context.QcowCompare(image, image).Identical, Is.True);
        }
    }
}
