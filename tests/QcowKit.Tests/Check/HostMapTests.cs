using System.Text.RegularExpressions;
using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>The host-cluster map the checker collects, and the HTML report drawn from it.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed partial class HostMapTests
{
    private static QcowCheckResult CheckCorpusImage(string name, TempDirectory temp)
    {
        var image = temp.File(name + ".qcow2");
        CheckCorpus.Images().Single(c => c.Name == name).Build(image);
        return QcowChecker.Check(image, new QcowCheckOptions { CollectHostMap = true });
    }

    private static QcowHostRun RunAt(QcowHostMap map, long offset)
    {
        var cluster = offset / map.ClusterSize;
        return map.Runs.Single(run => run.FirstCluster <= cluster && cluster < run.FirstCluster + run.ClusterCount);
    }

    private static void AssertCoversFile(QcowHostMap map)
    {
        var next = 0L;
        foreach (var run in map.Runs)
        {
            Assert.That(run.FirstCluster, Is.EqualTo(next), "runs are ordered and leave no gap");
            Assert.That(run.ClusterCount, Is.GreaterThan(0));
            next += run.ClusterCount;
        }
        Assert.That(next, Is.EqualTo(map.ClusterCount));
    }

    [Test]
    public void Without_the_option_no_map_is_collected()
    {
        using var temp = new TempDirectory("hostmap-none");
        var image = temp.File("x.qcow2");
        CheckCorpus.Images().Single(c => c.Name == "leak_unreferenced_cluster").Build(image);
        Assert.That(QcowChecker.Check(image).HostMap, Is.Null);
    }

    [Test]
    public void A_leaked_cluster_is_a_leaked_run_at_the_leak_offset()
    {
        using var temp = new TempDirectory("hostmap-leak");
        var result = CheckCorpusImage("leak_unreferenced_cluster", temp);
        var map = result.HostMap!;
        AssertCoversFile(map);
        var leak = result.Findings.Single(f => f.Code == QcowFindingCodes.Leak);
        var run = RunAt(map, leak.Offset);
        Assert.That(run.Kind, Is.EqualTo(QcowClusterKind.Leaked));
        Assert.That(run.Detail, Does.Contain("nothing points at it"));
        Assert.That(map.Runs.Where(r => r.Kind == QcowClusterKind.Leaked).Sum(r => r.ClusterCount), Is.EqualTo(result.Leaks));
        Assert.That(map.Runs[0].Kind, Is.EqualTo(QcowClusterKind.Header));
        Assert.That(map.Runs.Select(r => r.Kind), Does.Contain(QcowClusterKind.L1Table).And.Contain(QcowClusterKind.L2Table)
            .And.Contain(QcowClusterKind.RefcountTable).And.Contain(QcowClusterKind.RefcountBlock).And.Contain(QcowClusterKind.Data));
    }

    [Test]
    public void A_doubly_referenced_cluster_is_marked_and_the_cluster_it_replaced_leaks()
    {
        using var temp = new TempDirectory("hostmap-double");
        var result = CheckCorpusImage("double_reference_data", temp);
        var map = result.HostMap!;
        AssertCoversFile(map);
        var tooLow = result.Findings.First(f => f.Code == QcowFindingCodes.RefcountTooLow);
        var run = RunAt(map, tooLow.Offset);
        Assert.That(run.Kind, Is.EqualTo(QcowClusterKind.MultiplyReferenced));
        Assert.That(run.Detail, Does.Contain("refcount 1, 2 references"));
        Assert.That(map.Runs.Count(r => r.Kind == QcowClusterKind.Leaked), Is.EqualTo(1));
    }

    [Test]
    public void Coarsening_caps_the_runs_and_keeps_the_severe_kinds()
    {
        using var temp = new TempDirectory("hostmap-coarse");
        var map = CheckCorpusImage("double_reference_data", temp).HostMap!;
        var coarse = map.Coarsen(3);
        Assert.That(coarse.Runs, Has.Count.LessThanOrEqualTo(3));
        AssertCoversFile(coarse);
        Assert.That(coarse.Runs.Select(r => r.Kind), Does.Contain(QcowClusterKind.MultiplyReferenced));
        Assert.That(map.Coarsen(map.Runs.Count), Is.SameAs(map));
    }

    [Test]
    public void The_report_draws_one_coloured_rect_per_run_and_escapes_names()
    {
        using var temp = new TempDirectory("hostmap-html");
        var image = temp.File("a<b>&c.qcow2");
        CheckCorpus.Images().Single(c => c.Name == "double_reference_data").Build(image);
        var result = QcowChecker.Check(image, new QcowCheckOptions { CollectHostMap = true });
        var writer = new StringWriter();
        QcowCheckReport.Write(writer, result);
        var html = writer.ToString();
        Assert.That(html, Does.Contain("a&lt;b&gt;&amp;c.qcow2").And.Not.Contain("a<b>"));
        Assert.That(RectRegex().Matches(html), Has.Count.EqualTo(result.HostMap!.Runs.Count));
        Assert.That(html, Does.Contain($"<rect class=\"{QcowCheckReport.ClassOf(QcowClusterKind.MultiplyReferenced)}\""));
        Assert.That(html, Does.Contain(QcowFindingCodes.RefcountTooLow).And.Contain("<svg").And.Not.Contain("<script").And.Not.Contain("http:").And.Not.Contain("https:"));
    }

    [Test]
    public void The_report_file_is_written_whole_and_nothing_else_is_left()
    {
        using var temp = new TempDirectory("hostmap-file");
        var result = CheckCorpusImage("leak_unreferenced_cluster", temp);
        var report = temp.File("report.html");
        QcowCheckReport.WriteFile(report, result);
        Assert.That(File.ReadAllText(report), Does.EndWith("</html>\n"));
        Assert.That(Directory.GetFiles(temp.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "leak_unreferenced_cluster.qcow2", "report.html" }));
    }

    [Test]
    public void The_report_of_a_1_TiB_sparse_image_is_under_2_MiB()
    {
        using var temp = new TempDirectory("hostmap-1t");
        var image = temp.File("big.qcow2");
        Qemu.CreateQcow2(image, "1T");
        // Clusters spread over the whole disk: one L2 table and data cluster each.
        foreach (var gib in new[] { 0L, 1, 100, 500, 1023 })
        {
            var io = Qemu.Io(image, $"write -P 0x5a {gib << 30} 64k");
            Assert.That(io.ExitCode, Is.Zero, io.Describe());
        }
        var result = QcowChecker.Check(image, new QcowCheckOptions { CollectHostMap = true });
        Assert.That(result.ExitCode, Is.Zero);
        var report = temp.File("big.html");
        QcowCheckReport.WriteFile(report, result);
        Assert.That(new FileInfo(report).Length, Is.LessThan(2L << 20));
        Assert.That(RectRegex().Matches(File.ReadAllText(report)), Has.Count.LessThanOrEqualTo(QcowHostMap.DefaultMaxRuns));
        Assert.That(result.HostMap!.Runs.Count(r => r.Kind == QcowClusterKind.Data), Is.EqualTo(5));
    }

    /// <summary>A worst case for drawing: a 1 TiB file of 64 KiB clusters whose kinds alternate every few clusters.</summary>
    [Test]
    public void A_map_with_millions_of_runs_draws_at_most_the_cap_and_stays_under_2_MiB()
    {
        const long Clusters = 1L << 24;
        var runs = new List<QcowHostRun>();
        for (long first = 0, i = 0; first < Clusters; first += 4, i++)
        {
            var kind = i % 100_000 == 7 ? QcowClusterKind.Leaked : i % 2 == 0 ? QcowClusterKind.Data : QcowClusterKind.L2Table;
            runs.Add(new QcowHostRun(first, 4, kind, "x"));
        }
        var result = new QcowCheckResult
        {
            Filename = "big.qcow2",
            Completed = true,
            HostMap = new QcowHostMap(65536, Clusters * 65536, Clusters, runs),
        };
        var writer = new StringWriter();
        QcowCheckReport.Write(writer, result);
        var html = writer.ToString();
        Assert.That(System.Text.Encoding.UTF8.GetByteCount(html), Is.LessThan(2 << 20));
        var rects = RectRegex().Matches(html);
        Assert.That(rects, Has.Count.LessThanOrEqualTo(QcowHostMap.DefaultMaxRuns), "equal neighbouring slots are drawn as one");
        Assert.That(rects.Count(m => m.Value.Contains("k-leaked", StringComparison.Ordinal)), Is.EqualTo(runs.Count(r => r.Kind == QcowClusterKind.Leaked)),
            "every leaked run is in a slot of its own here, and a slot with a leak is drawn as leaked");
    }

    private static IEnumerable<TestCaseData> CorpusCases() =>
        CheckCorpus.Images().Select(c => new TestCaseData(c.Name).SetArgDisplayNames(c.Name));

    /// <summary>Every corpus image: the map covers the file, and its leaked clusters are exactly the leaks qemu counts.</summary>
    [TestCaseSource(nameof(CorpusCases))]
    public void The_map_of_every_corpus_image_agrees_with_the_counts(string name)
    {
        using var temp = new TempDirectory("hostmap-corpus");
        var result = CheckCorpusImage(name, temp);
        if (!result.Completed)
        {
            Assert.That(result.HostMap, Is.Null);
            return;
        }
        var map = result.HostMap!;
        AssertCoversFile(map);
        if (!result.Findings.Any(f => f.Code == QcowFindingCodes.RefcountUnreadable))
        {
            Assert.That(map.Runs.Where(r => r.Kind == QcowClusterKind.Leaked).Sum(r => r.ClusterCount), Is.EqualTo(result.Leaks));
        }
        var writer = new StringWriter();
        QcowCheckReport.Write(writer, result);
        Assert.That(RectRegex().Matches(writer.ToString()), Has.Count.EqualTo(map.Runs.Count));
    }

    [GeneratedRegex("<rect class=\"k-[a-z0-9]+\"")]
    private static partial Regex RectRegex();
}
