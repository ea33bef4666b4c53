namespace QcowKit.Check;

/// <summary>
/// Adjacent clusters of the image file of one kind: <see cref="ClusterCount"/> clusters from <see cref="FirstCluster"/> on.
/// </summary>
/// <param name="FirstCluster">Index of the first cluster (its offset divided by the cluster size).</param>
/// <param name="ClusterCount">How many clusters the run spans.</param>
/// <param name="Kind">What the clusters are; for a run merged by <see cref="QcowHostMap.Coarsen"/>, the most severe or most frequent kind in it.</param>
/// <param name="Detail">What points at the clusters, in a few words, for a tooltip.</param>
public sealed record QcowHostRun(long FirstCluster, long ClusterCount, QcowClusterKind Kind, string Detail);
