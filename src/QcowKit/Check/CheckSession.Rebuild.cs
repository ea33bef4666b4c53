using System.Buffers.Binary;

namespace QcowKit.Check;

internal sealed partial class CheckSession
{
    [Flags]
    private enum Overlap
    {
        None = 0,
        MainHeader = 1 << 0,
        ActiveL1 = 1 << 1,
        ActiveL2 = 1 << 2,
        RefcountTable = 1 << 3,
        RefcountBlock = 1 << 4,
        SnapshotTable = 1 << 5,
        InactiveL1 = 1 << 6,
        InactiveL2 = 1 << 7,
        BitmapDirectory = 1 << 8,
    }

    /// <summary>qemu's default overlap-check mode ("cached"): everything but inactive L2 tables.</summary>
    private const Overlap CachedChecks = Overlap.MainHeader | Overlap.ActiveL1 | Overlap.ActiveL2 | Overlap.RefcountTable
        | Overlap.RefcountBlock | Overlap.SnapshotTable | Overlap.InactiveL1 | Overlap.BitmapDirectory;

    /// <summary>qcow2_check_metadata_overlap: would a write to [offset, offset+size) hit metadata? Returns the first hit.</summary>
    private Overlap CheckMetadataOverlap(Overlap ignore, ulong offset, ulong size)
    {
        var enabledChecks = CachedChecks & ~ignore;
        if (size == 0) return Overlap.None;
        if ((enabledChecks & Overlap.MainHeader) != 0 && offset < (ulong)_geometry.ClusterSize) return Overlap.MainHeader;
        size = (ulong)(((long)_geometry.OffsetIntoCluster(offset) + (long)size + _geometry.ClusterSize - 1) / _geometry.ClusterSize * _geometry.ClusterSize);
        offset = _geometry.StartOfCluster(offset);
        bool Hits(ulong start, ulong length) => length != 0 && offset < start + length && start < offset + size;

        if ((enabledChecks & Overlap.ActiveL1) != 0 && _geometry.L1Size != 0 && Hits(_geometry.L1TableOffset, (ulong)_geometry.L1Size * 8)) return Overlap.ActiveL1;
        if ((enabledChecks & Overlap.RefcountTable) != 0 && _refcountTableSize != 0 && Hits(_refcountTableOffset, (ulong)_refcountTableSize * 8)) return Overlap.RefcountTable;
        if ((enabledChecks & Overlap.SnapshotTable) != 0 && _snapshotsSize != 0 && Hits(_snapshotsOffset, (ulong)_snapshotsSize)) return Overlap.SnapshotTable;
        if ((enabledChecks & Overlap.InactiveL1) != 0)
        {
            foreach (var snapshot in _snapshots)
            {
                if (snapshot.L1Size != 0 && Hits(snapshot.L1TableOffset, (ulong)snapshot.L1Size * 8)) return Overlap.InactiveL1;
            }
        }
        if ((enabledChecks & Overlap.ActiveL2) != 0)
        {
            foreach (var entry in _l1Table)
            {
                var l2 = entry & QcowMasks.L1OffsetMask;
                if (l2 != 0 && Hits(l2, (ulong)_geometry.ClusterSize)) return Overlap.ActiveL2;
            }
        }
        if ((enabledChecks & Overlap.RefcountBlock) != 0)
        {
            foreach (var entry in _refcountTable)
            {
                var refblockOffset = entry & QcowMasks.RefcountTableOffsetMask;
                if (refblockOffset != 0 && Hits(refblockOffset, (ulong)_geometry.ClusterSize)) return Overlap.RefcountBlock;
            }
        }
        if ((enabledChecks & Overlap.BitmapDirectory) != 0 && _geometry.NbBitmaps != 0 && Hits(_geometry.BitmapDirectoryOffset, _geometry.BitmapDirectorySize)) return Overlap.BitmapDirectory;
        return Overlap.None;
    }

    /// <summary>qcow2_signal_corruption on a writable image: the image is marked corrupt and the write refused.</summary>
    private void SignalOverlap(CheckCounts counts, Overlap overlap, ulong offset)
    {
        _ = counts;
        Report(QcowFindingCodes.MetadataOverlap, QcowFindingSeverity.Error,
            $"qcow2: Marking image as corrupt: Preventing invalid write on metadata (overlaps with {overlap}) at 0x{offset:x}", (long)offset);
        if (_geometry.Version >= 3)
        {
            _file.WriteUInt64(72, _file.ReadUInt64(72) | 0x2);
        }
    }

    /// <summary>alloc_clusters_imrt: first fit in the in-memory refcounts, growing them at the end.</summary>
    private long AllocateClustersInComputedRefcounts(int clusterCount, RefcountArray computedRefcounts, ref long firstFreeCluster)
    {
        var cluster = firstFreeCluster;
        var firstGap = true;
        var contiguousFree = 0;
        for (; cluster < computedRefcounts.Size && contiguousFree < clusterCount; cluster++)
        {
            if (computedRefcounts[cluster] == 0)
            {
                contiguousFree++;
                if (firstGap)
                {
                    firstFreeCluster = cluster;
                    firstGap = false;
                }
            }
            else if (contiguousFree != 0)
            {
                contiguousFree = 0;
            }
        }
        if (contiguousFree < clusterCount && !computedRefcounts.TryResize(cluster + clusterCount - contiguousFree))
        {
            throw new CheckAbortedException("Cannot allocate memory");
        }
        cluster -= contiguousFree;
        for (var i = 0; i < clusterCount; i++)
        {
            computedRefcounts[cluster + i] = 1;
        }
        return cluster << _geometry.ClusterBits;
    }

    /// <summary>rebuild_refcounts_write_refblocks: writes every refcount block that has a non-zero entry in [first, end).</summary>
    private bool WriteRefblocks(RefcountArray computedRefcounts, long firstCluster, long endCluster, ref ulong[] reftable)
    {
        long firstFreeCluster = 0;
        var grown = false;
        for (var cluster = firstCluster; cluster < endCluster; cluster++)
        {
            if (computedRefcounts[cluster] == 0) continue;
            var refblockIndex = cluster >> _geometry.RefcountBlockBits;
            var refblockStart = refblockIndex << _geometry.RefcountBlockBits;
            ulong refblockOffset;
            if (reftable.Length > refblockIndex && reftable[refblockIndex] != 0)
            {
                refblockOffset = reftable[refblockIndex];
            }
            else
            {
                if (firstFreeCluster < refblockStart) firstFreeCluster = refblockStart;
                refblockOffset = (ulong)AllocateClustersInComputedRefcounts(1, computedRefcounts, ref firstFreeCluster);
                var refblockCluster = (long)(refblockOffset >> _geometry.ClusterBits);
                if (refblockCluster >= endCluster) endCluster = refblockCluster + 1;
                if (reftable.Length <= refblockIndex)
                {
                    var entries = ((refblockIndex + 1) * 8 + _geometry.ClusterSize - 1) / _geometry.ClusterSize * _geometry.ClusterSize / 8;
                    Array.Resize(ref reftable, checked((int)entries));
                    grown = true;
                }
                reftable[refblockIndex] = refblockOffset;
            }
            if (CheckMetadataOverlap(Overlap.None, refblockOffset, (ulong)_geometry.ClusterSize) is var overlap and not Overlap.None)
            {
                SignalOverlap(new CheckCounts(), overlap, refblockOffset);
                throw new CheckAbortedException("ERROR writing refblock");
            }
            // The array covers whole refcount blocks, so the slice never runs past its end.
            if (computedRefcounts.Size < refblockStart + _geometry.RefcountBlockSize)
            {
                computedRefcounts.TryResize(Math.Max(computedRefcounts.Size, refblockStart + 1));
            }
            _file.Write(refblockOffset, BlockOf(computedRefcounts, refblockIndex));
            cluster = refblockStart + _geometry.RefcountBlockSize - 1;
        }
        return grown;
    }

    private byte[] BlockOf(RefcountArray computedRefcounts, long refblockIndex)
    {
        var block = new byte[_geometry.ClusterSize];
        var start = refblockIndex << _geometry.RefcountBlockBits;
        var end = Math.Min(computedRefcounts.Size, start + _geometry.RefcountBlockSize);
        for (var clusterIndex = start; clusterIndex < end; clusterIndex++)
        {
            var refcount = computedRefcounts[clusterIndex];
            if (refcount != 0) RefcountArray.Set(block, clusterIndex - start, _geometry.RefcountOrder, refcount);
        }
        return block;
    }

    /// <summary>rebuild_refcount_structure: new refcount blocks and table from the counted references; the old ones leak.</summary>
    private void RebuildRefcountStructure(CheckCounts counts, RefcountArray computedRefcounts)
    {
        if (Want(QcowFindingCodes.RefcountZero)) Add(QcowFindingCodes.RefcountZero, QcowFindingSeverity.Info, "Rebuilding refcount structure", -1);
        _refblockCacheOffset = ulong.MaxValue;
        ulong[] reftable = [];
        try
        {
            WriteRefblocks(computedRefcounts, 0, computedRefcounts.Size, ref reftable);
            long reftableOffset;
            long reftableClusters;
            bool changed;
            do
            {
                long firstFree = 0;
                var reftableLength = (long)reftable.Length * 8;
                reftableClusters = (reftableLength + _geometry.ClusterSize - 1) / _geometry.ClusterSize;
                reftableOffset = AllocateClustersInComputedRefcounts((int)reftableClusters, computedRefcounts, ref firstFree);
                var start = reftableOffset >> _geometry.ClusterBits;
                changed = WriteRefblocks(computedRefcounts, start, start + reftableClusters, ref reftable);
            }
            while (changed);

            var bytes = new byte[reftable.Length * 8];
            for (var i = 0; i < reftable.Length; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), reftable[i]);
            }
            if (CheckMetadataOverlap(Overlap.None, (ulong)reftableOffset, (ulong)bytes.Length) is var overlap and not Overlap.None)
            {
                SignalOverlap(counts, overlap, (ulong)reftableOffset);
                throw new CheckAbortedException("ERROR writing reftable");
            }
            _file.Write((ulong)reftableOffset, bytes);
            Span<byte> header = stackalloc byte[12];
            BinaryPrimitives.WriteUInt64BigEndian(header, (ulong)reftableOffset);
            BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)reftableClusters);
            _file.Write(48, header);
            _file.Flush();
            _refcountTable = reftable;
            _refcountTableOffset = (ulong)reftableOffset;
            _refcountTableSize = reftable.Length;
            _refblockCacheOffset = ulong.MaxValue;
        }
        catch (CheckAbortedException)
        {
            counts.CheckErrors++;
            throw;
        }
    }
}
