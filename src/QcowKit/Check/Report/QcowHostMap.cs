namespace QcowKit.Check;

/// <summary>
/// What every cluster of the image file is, as ordered runs of one kind (<see cref="QcowCheckResult.HostMap"/>, collected
/// with <see cref="QcowCheckOptions.CollectHostMap"/>). Built from the references the checker counts, so it shows the
/// same leaks and conflicts as the findings.
/// </summary>
public sealed class QcowHostMap
{
    /// <summary>The default cap of <see cref="Coarsen"/> as the HTML report uses it: enough detail for a screen, few enough elements for any browser.</summary>
    public const int DefaultMaxRuns = 4096;

    internal QcowHostMap(int clusterSize, long fileLength, long clusterCount, IReadOnlyList<QcowHostRun> runs)
    {
        ClusterSize = clusterSize;
        FileLength = fileLength;
        ClusterCount = clusterCount;
        Runs = runs;
    }

    /// <summary>The image's cluster size in bytes.</summary>
    public int ClusterSize { get; }

    /// <summary>Length of the image file in bytes.</summary>
    public long FileLength { get; }

    /// <summary>Clusters the map covers: those of the file and any referenced beyond its end.</summary>
    public long ClusterCount { get; }

    /// <summary>The runs in file order, covering clusters 0 to <see cref="ClusterCount"/> without gaps; adjacent runs differ in kind or detail.</summary>
    public IReadOnlyList<QcowHostRun> Runs { get; }

    /// <summary>
    /// At most <paramref name="maxRuns"/> runs: the file is cut into that many equal slots, each takes the most severe
    /// kind in it (<see cref="QcowClusterKind.MultiplyReferenced"/>, then <see cref="QcowClusterKind.Leaked"/>), else its
    /// most frequent kind other than free, so that a single bad or metadata cluster stays visible in a huge file.
    /// Returns this map when it already has few enough runs.
    /// </summary>
    public QcowHostMap Coarsen(int maxRuns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRuns, 1);
        if (Runs.Count <= maxRuns) return this;
        var slotSize = (ClusterCount + maxRuns - 1) / maxRuns;
        var builder = new HostMapBuilder();
        var perKind = new long[Enum.GetValues<QcowClusterKind>().Length];
        var runIndex = 0;
        var usedOfRun = 0L;
        for (var slotStart = 0L; slotStart < ClusterCount; slotStart += slotSize)
        {
            var slotEnd = Math.Min(ClusterCount, slotStart + slotSize);
            Array.Clear(perKind);
            var position = slotStart;
            while (position < slotEnd && runIndex < Runs.Count)
            {
                var run = Runs[runIndex];
                var take = Math.Min(run.ClusterCount - usedOfRun, slotEnd - position);
                perKind[(int)run.Kind] += take;
                position += take;
                usedOfRun += take;
                if (usedOfRun == run.ClusterCount)
                {
                    runIndex++;
                    usedOfRun = 0;
                }
            }
            var kind = Dominant(perKind);
            builder.Add(slotStart, slotEnd - slotStart, kind, Describe(perKind));
        }
        return new QcowHostMap(ClusterSize, FileLength, ClusterCount, builder.Runs);
    }

    private static QcowClusterKind Dominant(long[] perKind)
    {
        if (perKind[(int)QcowClusterKind.MultiplyReferenced] > 0) return QcowClusterKind.MultiplyReferenced;
        if (perKind[(int)QcowClusterKind.Leaked] > 0) return QcowClusterKind.Leaked;
        var best = QcowClusterKind.Free;
        for (var k = 0; k < perKind.Length; k++)
        {
            if ((QcowClusterKind)k != QcowClusterKind.Free && perKind[k] > 0 && (best == QcowClusterKind.Free || perKind[k] > perKind[(int)best])) best = (QcowClusterKind)k;
        }
        return best;
    }

    /// <summary>A merged slot's tooltip: how many clusters of each kind it holds, as the runs' own details no longer fit.</summary>
    private static string Describe(long[] perKind)
    {
        var parts = new List<string>();
        for (var k = 0; k < perKind.Length; k++)
        {
            if (perKind[k] > 0) parts.Add($"{perKind[k]} {QcowCheckReport.KindName((QcowClusterKind)k)}");
        }
        return string.Join(", ", parts);
    }
}

/// <summary>Appends clusters in file order and joins each to the previous run when kind and detail match.</summary>
internal sealed class HostMapBuilder
{
    private readonly List<QcowHostRun> _runs = [];

    public List<QcowHostRun> Runs => _runs;

    public void Add(long first, long count, QcowClusterKind kind, string detail)
    {
        if (_runs.Count > 0)
        {
            var last = _runs[^1];
            if (last.Kind == kind && last.Detail == detail && last.FirstCluster + last.ClusterCount == first)
            {
                _runs[^1] = last with { ClusterCount = last.ClusterCount + count };
                return;
            }
        }
        _runs.Add(new QcowHostRun(first, count, kind, detail));
    }
}
