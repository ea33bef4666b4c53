using QcowKit.Check;
using QcowKit.Image;
using QcowKit.Tests.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Streams;

/// <summary>The checker over a stream: the same verdict, counts and findings as over the file, and the same repair.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class StreamCheckTests
{
    /// <summary>Corruptions, leaks and a clean image, from the qemu-made check corpus.</summary>
    private static readonly HashSet<string> CaseNames =
    [
        "leak_many", "leak_unreferenced_cluster", "refcount_zero_on_data_cluster", "refcount_zero_on_l2_table",
        "double_reference_data", "copied_flag_set_with_refcount_2", "l1_entry_unaligned",
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        CheckCorpus.Images().Where(c => CaseNames.Contains(c.Name)).Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    [Test]
    public void The_stream_check_cases_are_all_in_the_corpus() =>
        Assert.That(Cases().Count(), Is.EqualTo(CaseNames.Count));

    [TestCaseSource(nameof(Cases))]
    public void Check_over_a_stream_reports_the_same_counts_and_findings_as_check_over_the_path(CorpusCase corpusCase)
    {
        using var temp = new TempDirectory("stream-check-" + corpusCase.Name);
        var path = temp.File("img.qcow2");
        corpusCase.Build(path);

        var byPath = QcowChecker.Check(path);
        var byStream = QcowChecker.Check(new MemoryStream(File.ReadAllBytes(path), writable: false));

        Assert.That(byPath.Corruptions + byPath.Leaks + byPath.CheckErrors, Is.Positive, "the case must be damaged, or it proves nothing");
        Assert.Multiple(() =>
        {
            Assert.That(byStream.Filename, Is.EqualTo(QcowImage.StreamFileName));
            Assert.That(Counts(byStream), Is.EqualTo(Counts(byPath)));
            Assert.That(byStream.QemuExitCode, Is.EqualTo(byPath.QemuExitCode));
            Assert.That(byStream.Findings.Select(f => (f.Code, f.Offset)), Is.EqualTo(byPath.Findings.Select(f => (f.Code, f.Offset))));
        });
    }

    [TestCaseSource(nameof(Cases))]
    public void Repair_over_a_stream_leaves_the_same_bytes_as_repair_over_the_path(CorpusCase corpusCase)
    {
        using var temp = new TempDirectory("stream-repair-" + corpusCase.Name);
        var path = temp.File("img.qcow2");
        corpusCase.Build(path);
        var memory = new MemoryStream();
        memory.Write(File.ReadAllBytes(path));
        var repair = new QcowCheckOptions { Repair = QcowRepairMode.All };

        var byPath = QcowChecker.Check(path, repair);
        var byStream = QcowChecker.Check(memory, repair);

        Assert.That(Counts(byStream), Is.EqualTo(Counts(byPath)));
        Assert.That(memory.ToArray(), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public void Check_leaves_the_callers_stream_open()
    {
        var memory = new MemoryStream();
        QcowImage.Create(memory, new QcowCreateOptions { Size = 1 << 20 }, leaveOpen: true).Dispose();

        var result = QcowChecker.Check(memory);

        Assert.That((result.QemuExitCode, memory.CanRead), Is.EqualTo((0, true)));
    }

    [Test]
    public void A_repair_of_a_read_only_stream_is_refused_with_a_bad_argument_error()
    {
        var memory = new MemoryStream();
        QcowImage.Create(memory, new QcowCreateOptions { Size = 1 << 20 }, leaveOpen: true).Dispose();
        var readOnly = new MemoryStream(memory.ToArray(), writable: false);

        var ex = Assert.Throws<QcowOptionsException>(() => QcowChecker.Check(readOnly, new QcowCheckOptions { Repair = QcowRepairMode.Leaks }));
        Assert.That(ex!.Message, Does.Contain("read-only"));
    }

    [Test]
    public void Check_over_a_stream_refuses_an_image_naming_a_backing_file()
    {
        using var temp = new TempDirectory("stream-check-backing");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "1M");
        var overlay = temp.File("overlay.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay);

        var ex = Assert.Throws<QcowOptionsException>(() => QcowChecker.Check(new MemoryStream(File.ReadAllBytes(overlay))));
        Assert.That(ex!.Message, Does.Contain("backing file 'base.qcow2'"));
    }

    [Test]
    public void A_raw_stream_is_not_checkable_as_over_a_path()
    {
        var result = QcowChecker.Check(new MemoryStream(new byte[1 << 20]));

        Assert.That(result.ExitCode, Is.EqualTo(QcowCheckResult.FormatWithoutChecksExitCode));
    }

    private static (long, long, long, long, long, long, long, long, long, long) Counts(QcowCheckResult r) =>
        (r.CheckErrors, r.Corruptions, r.Leaks, r.CorruptionsFixed, r.LeaksFixed, r.ImageEndOffset, r.TotalClusters,
            r.AllocatedClusters, r.FragmentedClusters, r.CompressedClusters);
}
