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

/// <summary>Memory stays bounded by the file, whatever the header claims.</summary>
[TestFixture]
public sealed class CheckMemoryTests
{
    [Test]
    public void A_64_TiB_image_with_a_huge_L1_beyond_a_tiny_file_is_checked_like_qemu_with_bounded_memory()
    {
        using var temp = new TempDirectory("memory");
        var image = temp.File("hostile.qcow2");
        Qemu.CreateQcow2(image, "64M");
        using (var e = new QcowFileEditor(image))
        {
            e.SetU64(24, 64UL << 40);
            e.SetU32(36, 4 * 1024 * 1024);
            e.SetU64(40, 1UL << 40);
        }
        Assert.That(new FileInfo(image).Length, Is.LessThan(1 << 20));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ours = QcowChecker.Check(image);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var qemu = Qemu.Check(image);

        CheckCorpusTests.AssertSameVerdict(qemu.ExitCode, qemu.Report, ours);
        Assert.That(allocated, Is.LessThan(8L << 20), "bytes allocated by the check");
    }
}
