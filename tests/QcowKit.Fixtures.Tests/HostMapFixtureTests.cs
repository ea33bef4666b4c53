using QcowKit.Check;

namespace QcowKit.Fixtures.Tests;

/// <summary>The check report's host map over the corrupt fixture catalogue: it marks exactly what the check counts.</summary>
public sealed class HostMapFixtureTests
{
    private static IEnumerable<TestCaseData> Corrupted() =>
        QcowFixtures.Corrupted.Select(definition => new TestCaseData(definition.Name).SetArgDisplayNames(definition.Name));

    [TestCaseSource(nameof(Corrupted))]
    public void Leaked_and_multiply_referenced_regions_match_the_findings(string name)
    {
        var built = QcowFixtures.Get(name);
        var result = QcowChecker.Check(built.ImagePath, new QcowCheckOptions { CollectHostMap = true, ForceShare = true });
        if (!result.Completed)
        {
            Assert.That(result.HostMap, Is.Null);
            return;
        }
        var runs = result.HostMap!.Runs;
        if (!result.Findings.Any(f => f.Code == QcowFindingCodes.RefcountUnreadable))
        {
            Assert.That(runs.Where(r => r.Kind == QcowClusterKind.Leaked).Sum(r => r.ClusterCount), Is.EqualTo(result.Leaks));
        }
        foreach (var finding in result.Findings.Where(f => f.Code is QcowFindingCodes.RefcountTooLow or QcowFindingCodes.RefcountZero or QcowFindingCodes.MetadataOverlap))
        {
            var cluster = finding.Offset / result.HostMap.ClusterSize;
            Assert.That(runs.Single(r => r.FirstCluster <= cluster && cluster < r.FirstCluster + r.ClusterCount).Kind,
                Is.EqualTo(QcowClusterKind.MultiplyReferenced), finding.ToString());
        }
    }
}
