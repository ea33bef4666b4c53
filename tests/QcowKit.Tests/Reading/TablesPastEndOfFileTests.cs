using QcowKit.Check;
using QcowKit.Image;
using QcowKit.TestSupport;
using QcowKit.Tests.Check;

namespace QcowKit.Tests.Reading;

/// <summary>
/// qemu 7.2 opens images whose refcount, L1 or snapshot table runs past the end of the file (the part
/// past the end reads as zeros); QcowKit's readers do the same, its writers still refuse them.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class TablesPastEndOfFileTests
{
    /// <summary>Two corpus images plus the committed fixture whose snapshot table starts past the end of the file.</summary>
    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var corpusCase in CheckCorpus.Images().Where(c => c.Name is "l1_table_beyond_eof" or "refcount_table_beyond_eof"))
        {
            yield return new TestCaseData(new Action<string>(corpusCase.Build)).SetArgDisplayNames(corpusCase.Name);
        }
        var fixture = Path.Combine(RepoPaths.Root, "fixtures", "corrupt-snapshot-table-beyond-eof.qcow2");
        yield return new TestCaseData(new Action<string>(path => File.Copy(fixture, path))).SetArgDisplayNames("corrupt-snapshot-table-beyond-eof");
    }

    [TestCaseSource(nameof(Cases))]
    public void A_reader_opens_it_as_qemu_img_does_and_reads_the_same_guest_bytes(Action<string> build)
    {
        using var temp = new TempDirectory("past-eof");
        var path = temp.File("image.qcow2");
        build(path);
        var before = Hashing.Sha256OfFile(path);

        using (var image = QcowImage.Open(path))
        using (var guest = image.OpenStream())
        {
            Assert.That(Hashing.Sha256OfStream(guest), Is.EqualTo(Qemu.RawSha256(path, "qcow2")));
            Assert.That(image.GetAllocationMap().Count(), Is.EqualTo(Qemu.Map(path).Count));
        }
        Assert.That(Hashing.Sha256OfFile(path), Is.EqualTo(before), "a read-only open never writes");
    }

    [TestCaseSource(nameof(Cases))]
    public void A_writer_still_refuses_it_naming_the_table(Action<string> build)
    {
        using var temp = new TempDirectory("past-eof");
        var path = temp.File("image.qcow2");
        build(path);
        var before = Hashing.Sha256OfFile(path);

        Assert.That(() => QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite }).Dispose(),
            Throws.InstanceOf<QcowFormatException>().With.Message.Contains("extends past the end of the file"));
        Assert.That(Hashing.Sha256OfFile(path), Is.EqualTo(before));
    }

    [TestCaseSource(nameof(Cases))]
    public void Check_keeps_qemu_img_checks_stricter_verdict(Action<string> build)
    {
        using var temp = new TempDirectory("past-eof");
        var path = temp.File("image.qcow2");
        build(path);

        var qemu = Qemu.Check(path);
        var ours = QcowChecker.Check(path);

        Assert.That(ours.QemuExitCode, Is.EqualTo(qemu.ExitCode).And.Not.Zero);
    }
}
