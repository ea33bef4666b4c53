namespace QcowKit.Check;

internal sealed partial class CheckSession
{
    /// <summary>Build <see cref="HostMap"/> from the counted references (costs one more pass over the refcounts).</summary>
    public bool CollectMap { get; init; }

    /// <summary>The host-cluster map of the image as found, before any repair; null unless <see cref="CollectMap"/>.</summary>
    public QcowHostMap? HostMap { get; private set; }

    /// <summary>
    /// Classifies every cluster from what the refcount pass recorded: its first and second use, the references counted
    /// and the refcount on disk. Runs between counting and any repair, so the map shows the image as it was found.
    /// </summary>
    private void BuildHostMap(RefcountArray computedRefcounts)
    {
        var clusters = Math.Max(computedRefcounts.Size, _geometry.SizeToClusters((ulong)_file.Length));
        var builder = new HostMapBuilder();
        var owners = _ownerOf.Span;
        for (long i = 0; i < clusters; i++)
        {
            var counted = computedRefcounts[i];
            var readable = TryGetRefcount(i, out var onDisk);
            var first = i < owners.Length ? (ClusterUse)owners[(int)i] : ClusterUse.None;
            QcowClusterKind kind;
            string detail;
            if (readable && onDisk < counted)
            {
                kind = QcowClusterKind.MultiplyReferenced;
                detail = $"refcount {onDisk}, {counted} references{DescribeUse(i)}";
            }
            else if (readable && onDisk > counted)
            {
                kind = QcowClusterKind.Leaked;
                detail = counted == 0 ? $"refcount {onDisk}, nothing points at it" : $"refcount {onDisk}, {counted} references{DescribeUse(i)}";
            }
            else if (first == ClusterUse.None)
            {
                kind = QcowClusterKind.Free;
                detail = "unused";
            }
            else
            {
                kind = KindOf(first);
                detail = _secondOwner.TryGetValue(i, out var second)
                    ? $"{Describe(first)}, shared with {Describe(second)}"
                    : Describe(first);
            }
            builder.Add(i, 1, kind, detail);
        }
        HostMap = new QcowHostMap(_geometry.ClusterSize, _file.Length, clusters, builder.Runs);
    }

    private static QcowClusterKind KindOf(ClusterUse use) => use switch
    {
        ClusterUse.Header => QcowClusterKind.Header,
        ClusterUse.ActiveL1 => QcowClusterKind.L1Table,
        ClusterUse.ActiveL2 => QcowClusterKind.L2Table,
        ClusterUse.Data => QcowClusterKind.Data,
        ClusterUse.Compressed => QcowClusterKind.Compressed,
        ClusterUse.SnapshotTable => QcowClusterKind.SnapshotTable,
        ClusterUse.SnapshotL1 or ClusterUse.SnapshotL2 or ClusterUse.SnapshotData => QcowClusterKind.Snapshot,
        ClusterUse.RefcountTable => QcowClusterKind.RefcountTable,
        ClusterUse.RefcountBlock => QcowClusterKind.RefcountBlock,
        ClusterUse.CryptoHeader => QcowClusterKind.EncryptionHeader,
        ClusterUse.BitmapDirectory => QcowClusterKind.BitmapDirectory,
        ClusterUse.BitmapTable => QcowClusterKind.BitmapTable,
        ClusterUse.BitmapData => QcowClusterKind.BitmapData,
        _ => QcowClusterKind.Free,
    };
}
