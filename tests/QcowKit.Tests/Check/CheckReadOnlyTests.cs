using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>A check without repair never writes: not to clean images and not to corrupt ones.</summary>
[TestFixture]
public sealed class CheckReadOnlyTests
{
    [TestCase("leak_refcount_too_high")]
    [TestCase("l2_preallocated_zero_unaligned")]
    [TestCase("reftable_entry_beyond_eof")]
    [TestCase("dirty_lazy_refcounts")]
    public void Check_without_repair_leaves_bytes_and_mtime_unchanged(string name)
    {
        using var temp = new TempDirectory("readonly");
        var image = temp.File(name + ".qcow2");
        CheckCorpus.Images().Single(c => c.Name == name).Build(image);
        var past = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(image, past);
        var before = Hashing.Sha256OfFile(image);
        var length = new FileInfo(image).Length;

        var result = QcowChecker.Check(image, new QcowCheckOptions { Deep = true });

        Assert.That(result.ExitCode, Is.Not.Zero, "the image is not clean, so a writer would have had something to fix");
        Assert.That(Hashing.Sha256OfFile(image), Is.EqualTo(before));
        Assert.That(new FileInfo(image).Length, Is.EqualTo(length));
        Assert.That(File.GetLastWriteTimeUtc(image), Is.EqualTo(past));
    }

    [Test]
    public void Check_of_a_read_only_file_succeeds()
    {
        using var temp = new TempDirectory("readonly-mode");
        var image = temp.File("ro.qcow2");
        CheckCorpus.Base(image);
        File.SetAttributes(image, FileAttributes.ReadOnly);
        try
        {
            var result = QcowChecker.Check(image);
            Assert.That(result.ExitCode, Is.Zero);
        }
        finally
        {
            File.SetAttributes(image, FileAttributes.Normal);
        }
    }
}
