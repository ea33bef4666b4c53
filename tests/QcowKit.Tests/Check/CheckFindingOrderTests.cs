using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>
/// The copied-flag pass of a check without repair runs beside the refcount pass; its findings and counts
/// must still come out as if the passes ran one after the other, as qemu-img check runs them.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class CheckFindingOrderTests
{
    private const ulong Copied = 1UL << 63;

    [TestCase("leak_in_middle_refcount_block_bits_16")]
    [TestCase("leak_in_middle_refcount_block_bits_2")]
    [TestCase("copied_flag_set_with_refcount_2")]
    [TestCase("copied_flag_missing_l1")]
    [TestCase("refcount_too_low_shared_by_snapshot")]
    [TestCase("refcount_zero_on_l2_table")]
    public void Findings_are_listed_in_the_order_qemu_img_check_prints_its_messages(string name)
    {
        using var temp = new TempDirectory("order-" + name);
        var image = temp.File(name + ".qcow2");
        CheckCorpus.Images().Single(c => c.Name == name).Build(image);

        var qemuLines = Qemu.Img("check", "-f", "qcow2", image).StandardError
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ours = QcowChecker.Check(image).Findings.Select(f => f.Message).ToList();

        Assert.That(qemuLines, Is.Not.Empty, "the image must make qemu-img check print something");
        Assert.That(ours, Has.Count.EqualTo(qemuLines.Length), string.Join('\n', ours));
        for (var i = 0; i < qemuLines.Length; i++)
        {
            // Ours may add what the cluster is used as after qemu's words.
            Assert.That(ours[i], Does.StartWith(qemuLines[i]), $"message {i}");
        }
    }

    [Test]
    public void Thousands_of_copied_flag_errors_count_in_full_and_list_the_first_thousand()
    {
        using var temp = new TempDirectory("order-many-copied");
        var image = temp.File("many-copied.qcow2");
        Qemu.CreateQcow2(image, "64M", "cluster_size=512");
        Qemu.Io(image, "write -P 0x11 0 3M");
        using (var e = new QcowFileEditor(image))
        {
            for (var l1 = 0; l1 < 96; l1++)
            {
                for (var l2 = 0; l2 < 64; l2++) e.SetU64(e.L2EntryOffset(l1, l2), e.L2Entry(l1, l2) & ~Copied);
            }
        }

        var qemu = Qemu.Check(image);
        var ours = QcowChecker.Check(image);

        CheckCorpusTests.AssertSameVerdict(qemu.ExitCode, qemu.Report, ours);
        Assert.That(ours.Corruptions, Is.EqualTo(96 * 64));
        Assert.That(ours.Findings.Count(f => f.Code == QcowFindingCodes.L2CopiedFlag && f.Severity == QcowFindingSeverity.Error), Is.EqualTo(1000));
        Assert.That(ours.Findings[^1].Severity, Is.EqualTo(QcowFindingSeverity.Info), "the note that further findings are not listed comes last");
        Assert.That(ours.Findings[^1].Message, Does.Contain(QcowFindingCodes.L2CopiedFlag));
    }
}
