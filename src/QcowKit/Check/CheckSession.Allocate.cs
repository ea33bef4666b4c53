namespace QcowKit.Check;

/// <summary>
/// Cluster allocation through the on-disk refcounts, as qemu's qcow2_alloc_clusters does it during
/// a repair (the snapshot table rewrite): first fit from the lowest free cluster, refcount blocks
/// allocated when the clusters have none. Only used with -r all, after the refcounts were repaired.
/// </summary>
internal sealed partial class CheckSession
{
    /// <summary>qemu's free_cluster_index: where the next first-fit search starts (0 when an image is opened).</summary>
    private long _freeClusterIndex;

    /// <summary>qcow2_alloc_clusters: allocates clusters for <paramref name="size"/> bytes and sets their refcounts to 1.</summary>
    private ulong AllocateClusters(ulong size)
    {
        while (true)
        {
            var offset = AllocateClustersNoRefcount(size);
            switch (UpdateRefcount(offset, size, decrease: false))
            {
                case RefcountUpdate.Done:
                    return offset;
                case RefcountUpdate.Failed:
                    throw new CheckAbortedException("Input/output error");
            }
            // A new refcount block may sit where the clusters were going to go: search again.
        }
    }

    /// <summary>alloc_clusters_noref: the first run of free clusters from <see cref="_freeClusterIndex"/>; refcounts are not changed.</summary>
    private ulong AllocateClustersNoRefcount(ulong size)
    {
        var count = _geometry.SizeToClusters(size);
        var found = 0L;
        while (found < count)
        {
            var index = _freeClusterIndex++;
            if (!TryGetRefcount(index, out var refcount))
            {
                Report(QcowFindingCodes.RefcountBlockUnaligned, QcowFindingSeverity.Error,
                    $"cannot allocate: the refcount block of cluster {index} is not cluster aligned", -1);
                throw new CheckAbortedException("Input/output error");
            }
            found = refcount == 0 ? found + 1 : 0;
        }
        return (ulong)(_freeClusterIndex - count) << _geometry.ClusterBits;
    }

    private enum RefcountUpdate
    {
        Done,
        Again,
        Failed,
    }

    /// <summary>qcow2_free_clusters: drops one reference from every cluster of the range; a failure is reported, not raised.</summary>
    private void FreeClusters(ulong offset, ulong size)
    {
        if (UpdateRefcount(offset, size, decrease: true) != RefcountUpdate.Done)
        {
            Report(QcowFindingCodes.CheckFailed, QcowFindingSeverity.Warning,
                $"qcow2_free_clusters failed for 0x{offset:x} (+{size} bytes); the clusters stay allocated", (long)Math.Min(offset, long.MaxValue));
        }
    }

    /// <summary>update_refcount with an addend of one; a partial update is undone when it fails or must be retried.</summary>
    private RefcountUpdate UpdateRefcount(ulong offset, ulong length, bool decrease)
    {
        if (length == 0) return RefcountUpdate.Done;
        var start = _geometry.StartOfCluster(offset);
        var last = _geometry.StartOfCluster(offset + length - 1);
        var oldTableIndex = -1L;
        var result = RefcountUpdate.Done;
        var clusterOffset = start;
        for (; clusterOffset <= last; clusterOffset += (ulong)_geometry.ClusterSize)
        {
            var clusterIndex = (long)(clusterOffset >> _geometry.ClusterBits);
            var tableIndex = clusterIndex >> _geometry.RefcountBlockBits;
            if (tableIndex != oldTableIndex)
            {
                result = EnsureRefcountBlock(clusterIndex);
                if (result == RefcountUpdate.Again)
                {
                    // Try the same clusters first: they are most likely still free.
                    _freeClusterIndex = Math.Min(_freeClusterIndex, (long)(start >> _geometry.ClusterBits));
                }
                if (result != RefcountUpdate.Done) break;
            }
            oldTableIndex = tableIndex;
            TryGetRefcount(clusterIndex, out var refcount);
            if (decrease ? refcount == 0 : refcount >= _geometry.RefcountMax)
            {
                result = RefcountUpdate.Failed;
                break;
            }
            refcount = decrease ? refcount - 1 : refcount + 1;
            if (refcount == 0 && clusterIndex < _freeClusterIndex) _freeClusterIndex = clusterIndex;
            TrySetRefcount(clusterIndex, refcount);
        }
        if (result != RefcountUpdate.Done && clusterOffset > offset)
        {
            UpdateRefcount(offset, clusterOffset - offset, !decrease);
        }
        return result;
    }

    /// <summary>
    /// alloc_refcount_block: makes sure cluster <paramref name="clusterIndex"/> has a refcount block. A new
    /// block is hooked into the refcount table and the caller told to search again. Growing the refcount
    /// table itself (qcow2_refcount_area) is not implemented: the repair stops with a check error instead.
    /// </summary>
    private RefcountUpdate EnsureRefcountBlock(long clusterIndex)
    {
        var tableIndex = clusterIndex >> _geometry.RefcountBlockBits;
        if (tableIndex < _refcountTableSize)
        {
            var existing = Entry(_refcountTable, tableIndex) & QcowMasks.RefcountTableOffsetMask;
            if (existing != 0)
            {
                if (_geometry.OffsetIntoCluster(existing) == 0) return RefcountUpdate.Done;
                Report(QcowFindingCodes.RefcountBlockUnaligned, QcowFindingSeverity.Error,
                    $"Refblock offset 0x{existing:x} unaligned (reftable index: 0x{tableIndex:x})", (long)(_refcountTableOffset + (ulong)tableIndex * 8));
                return RefcountUpdate.Failed;
            }
        }
        else
        {
            Report(QcowFindingCodes.CheckFailed, QcowFindingSeverity.Error,
                $"the repair needs a refcount block for cluster {clusterIndex} beyond the refcount table's {_refcountTableSize} entries; QcowKit's repair does not grow the refcount table", -1);
            return RefcountUpdate.Failed;
        }

        var newBlock = AllocateClustersNoRefcount((ulong)_geometry.ClusterSize);
        if (newBlock == 0)
        {
            Report(QcowFindingCodes.MetadataOverlap, QcowFindingSeverity.Error, "Preventing invalid allocation of refcount block at offset 0", 0);
            return RefcountUpdate.Failed;
        }
        var block = new byte[_geometry.ClusterSize];
        var newBlockIndex = (long)(newBlock >> _geometry.ClusterBits);
        if (newBlockIndex >> _geometry.RefcountBlockBits == tableIndex)
        {
            // The block describes itself.
            RefcountArray.Set(block, newBlockIndex & (_geometry.RefcountBlockSize - 1), _geometry.RefcountOrder, 1);
        }
        else
        {
            var described = UpdateRefcount(newBlock, (ulong)_geometry.ClusterSize, decrease: false);
            if (described != RefcountUpdate.Done) return described;
        }
        if (CheckMetadataOverlap(Overlap.RefcountBlock, newBlock, (ulong)_geometry.ClusterSize) is var overlap and not Overlap.None)
        {
            SignalOverlap(new CheckCounts(), overlap, newBlock);
            return RefcountUpdate.Failed;
        }
        _file.Write(newBlock, block);
        _file.Flush();
        if (_refcountTable.Length <= tableIndex)
        {
            Array.Resize(ref _refcountTable, (int)tableIndex + 1);
        }
        _refcountTable[tableIndex] = newBlock;
        _file.WriteUInt64(_refcountTableOffset + (ulong)tableIndex * 8, newBlock);
        _file.Flush();
        _refblockCacheOffset = ulong.MaxValue;
        return RefcountUpdate.Again;
    }
}
