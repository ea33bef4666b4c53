using System.Text.Json.Nodes;
using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>Every corpus image checked by qemu-img and by QcowChecker side by side.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class CheckCorpusTests
{
    private static IEnumerable<CorpusCase> Cases() => CheckCorpus.Images();

    [TestCaseSource(nameof(Cases))]
    public void Check_verdict_and_counts_equal_qemu_img_check(CorpusCase corpusCase)
    {
        using var temp = new TempDirectory("check-" + corpusCase.Name);
        var image = temp.File(corpusCase.Name + ".qcow2");
        corpusCase.Build(image);

        var qemu = Qemu.Check(image);
        var ours = QcowChecker.Check(image, new QcowCheckOptions { Format = QcowImageFormat.Qcow2 });

        TestContext.Out.WriteLine($"qemu-img check: exit {qemu.ExitCode}\n{qemu.Report?.ToJsonString() ?? qemu.Raw.StandardError}");
        TestContext.Out.WriteLine($"QcowChecker: exit {ours.QemuExitCode}\n{QcowCheckJson.Serialize(ours)}");
        AssertSameVerdict(qemu.ExitCode, qemu.Report, ours);
    }

    internal static void AssertSameVerdict(int qemuExit, JsonObject? report, QcowCheckResult ours)
    {
        Assert.That(ours.QemuExitCode, Is.EqualTo(qemuExit), "exit code");
        if (report is null)
        {
            Assert.That(ours.Completed, Is.EqualTo(qemuExit != 1) , "qemu printed no report, so the check must not have completed");
            if (!ours.Completed)
            {
                Assert.That(ours.Findings.Where(f => f.Severity == QcowFindingSeverity.Error), Is.Not.Empty, "a failed check names its reason");
            }
            return;
        }
        Assert.Multiple(() =>
        {
            Assert.That(ours.CheckErrors, Is.EqualTo(Count(report, "check-errors")), "check-errors");
            Assert.That(ours.Corruptions, Is.EqualTo(Count(report, "corruptions")), "corruptions");
            Assert.That(ours.Leaks, Is.EqualTo(Count(report, "leaks")), "leaks");
            Assert.That(ours.CorruptionsFixed, Is.EqualTo(Count(report, "corruptions-fixed")), "corruptions-fixed");
            Assert.That(ours.LeaksFixed, Is.EqualTo(Count(report, "leaks-fixed")), "leaks-fixed");
            Assert.That(ours.ImageEndOffset, Is.EqualTo(Count(report, "image-end-offset")), "image-end-offset");
            Assert.That(ours.TotalClusters, Is.EqualTo(Count(report, "total-clusters")), "total-clusters");
            Assert.That(ours.AllocatedClusters, Is.EqualTo(Count(report, "allocated-clusters")), "allocated-clusters");
            Assert.That(ours.FragmentedClusters, Is.EqualTo(Count(report, "fragmented-clusters")), "fragmented-clusters");
            Assert.That(ours.CompressedClusters, Is.EqualTo(Count(report, "compressed-clusters")), "compressed-clusters");
        });
        if (ours.Corruptions > 0 || ours.Leaks > 0 || ours.CheckErrors > 0)
        {
            Assert.That(ours.Findings.Where(f => f.Severity != QcowFindingSeverity.Info), Is.Not.Empty, "every non-clean verdict comes with findings");
        }
    }

    internal static long Count(JsonObject report, string key) => report.TryGetPropertyValue(key, out var value) && value is not null ? value.GetValue<long>() : 0;
}
