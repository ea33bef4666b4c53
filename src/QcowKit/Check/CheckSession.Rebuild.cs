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
        var chk = CachedChecks & ~ignore;
        if (size == 0) return Overlap.None;
        if ((chk & Overlap.MainHeader) != 0 && offset < (ulong)g.ClusterSize) return Overlap.MainHeader;
        size = (ulong)(((long)g.OffsetIntoCluster(offset) + (long)size + g.ClusterSize - 1) / g.ClusterSize * g.ClusterSize);
        offset = g.StartOfCluster(offset);
        bool Hits(ulong o, ulong s) => s != 0 && offset < o + s && o < offset + size;

        if ((chk & Overlap.ActiveL1) != 0 && g.L1Size != 0 && Hits(g.L1TableOffset, (ulong)g.L1Size * 8)) return Overlap.ActiveL1;
        if ((chk & Overlap.RefcountTable) != 0 && refcountTableSize != 0 && Hits(refcountTableOffset, (ulong)refcountTableSize * 8)) return Overlap.RefcountTable;
        if ((chk & Overlap.SnapshotTable) != 0 && snapshotsSize != 0 && Hits(snapshotsOffset, (ulong)snapshotsSize)) return Overlap.SnapshotTable;
        if ((chk & Overlap.InactiveL1) != 0)
        {
            foreach (var sn in snapshots)
            {
                if (sn.L1Size != 0 && Hits(sn.L1TableOffset, (ulong)sn.L1Size * 8)) return Overlap.InactiveL1;
            }
        }
        if ((chk & Overlap.ActiveL2) != 0)
        {
            foreach (var e in l1Table)
            {
                var l2 = e & QcowMasks.L1OffsetMask;
                if (l2 != 0 && Hits(l2, (ulong)g.ClusterSize)) return Overlap.ActiveL2;
            }
        }
        if ((chk & Overlap.RefcountBlock) != 0)
        {
            foreach (var e in refcountTable)
            {
                var rb = e & QcowMasks.RefcountTableOffsetMask;
                if (rb != 0 && Hits(rb, (ulong)g.ClusterSize)) return Overlap.RefcountBlock;
            }
        }
        if ((chk & Overlap.BitmapDirectory) != 0 && g.NbBitmaps != 0 && Hits(g.BitmapDirectoryOffset, g.BitmapDirectorySize)) return Overlap.BitmapDirectory;
        return Overlap.None;
    }

    /// <summary>qcow2_signal_corruption on a writable image: the image is marked corrupt and the write refused.</summary>
    private void SignalOverlap(CheckCounts res, Overlap overlap, ulong offset)
    {
        _ = res;
        Report(QcowFindingCodes.MetadataOverlap, QcowFindingSeverity.Error,
            $"qcow2: Marking image as corrupt: Preventing invalid write on metadata (overlaps with {overlap}) at 0x{offset:x}", (long)offset);
        if (g.Version >= 3)
        {
            file.WriteUInt64(72, file.ReadUInt64(72) | 0x2);
        }
    }

    /// <summary>alloc_clusters_imrt: first fit in the in-memory refcounts, growing them at the end.</summary>
    private long AllocClustersImrt(int clusterCount, RefcountArray imrt, ref long firstFreeCluster)
    {
        var cluster = firstFreeCluster;
        var firstGap = true;
        var contiguousFree = 0;
        for (; cluster < imrt.Size && contiguousFree < clusterCount; cluster++)
        {
            if (imrt[cluster] == 0)
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
        if (contiguousFree < clusterCount && !imrt.TryResize(cluster + clusterCount - contiguousFree))
        {
            throw new CheckAbortedException("Cannot allocate memory");
        }
        cluster -= contiguousFree;
        for (var i = 0; i < clusterCount; i++)
        {
            imrt[cluster + i] = 1;
        }
        return cluster << g.ClusterBits;
    }

    /// <summary>rebuild_refcounts_write_refblocks: writes every refcount block that has a non-zero entry in [first, end).</summary>
    private bool WriteRefblocks(RefcountArray imrt, long firstCluster, long endCluster, ref ulong[] reftable)
    {
        long firstFreeCluster = 0;
        var grown = false;
        for (var cluster = firstCluster; cluster < endCluster; cluster++)
        {
            if (imrt[cluster] == 0) continue;
            var refblockIndex = cluster >> g.RefcountBlockBits;
            var refblockStart = refblockIndex << g.RefcountBlockBits;
            ulong refblockOffset;
            if (reftable.Length > refblockIndex && reftable[refblockIndex] != 0)
            {
                refblockOffset = reftable[refblockIndex];
            }
            else
            {
                if (firstFreeCluster < refblockStart) firstFreeCluster = refblockStart;
                refblockOffset = (ulong)AllocClustersImrt(1, imrt, ref firstFreeCluster);
                var refblockCluster = (long)(refblockOffset >> g.ClusterBits);
                if (refblockCluster >= endCluster) endCluster = refblockCluster + 1;
                if (reftable.Length <= refblockIndex)
                {
                    var entries = ((refblockIndex + 1) * 8 + g.ClusterSize - 1) / g.ClusterSize * g.ClusterSize / 8;
                    Array.Resize(ref reftable, checked((int)entries));
                    grown = true;
                }
                reftable[refblockIndex] = refblockOffset;
            }
            if (CheckMetadataOverlap(Overlap.None, refblockOffset, (ulong)g.ClusterSize) is var overlap and not Overlap.None)
            {
                SignalOverlap(new CheckCounts(), overlap, refblockOffset);
                throw new CheckAbortedException("ERROR writing refblock");
            }
            // The array covers whole refcount blocks, so the slice never runs past its end.
            if (imrt.Size < refblockStart + g.RefcountBlockSize)
            {
                imrt.TryResize(Math.Max(imrt.Size, refblockStart + 1));
            }
            file.Write(refblockOffset, BlockOf(imrt, refblockIndex));
            cluster = refblockStart + g.RefcountBlockSize - 1;
        }
        return grown;
    }

    private byte[] BlockOf(RefcountArray imrt, long refblockIndex)
    {
        var block = new byte[g.ClusterSize];
        var start = refblockIndex << g.RefcountBlockBits;
        var end = Math.Min(imrt.Size, start + g.RefcountBlockSize);
        for (var k = start; k < end; k++)
        {
            var v = imrt[k];
            if (v != 0) RefcountArray.Set(block, k - start, g.RefcountOrder, v);
        }
        return block;
    }

    /// <summary>rebuild_refcount_structure: new refcount blocks and table from the counted references; the old ones leak.</summary>
    private void RebuildRefcountStructure(CheckCounts res, RefcountArray imrt)
    {
        if (Want(QcowFindingCodes.RefcountZero)) Add(QcowFindingCodes.RefcountZero, QcowFindingSeverity.Info, "Rebuilding refcount structure", -1);
        refblockCacheOffset = ulong.MaxValue;
        ulong[] reftable = [];
        try
        {
            WriteRefblocks(imrt, 0, imrt.Size, ref reftable);
            long reftableOffset;
            long reftableClusters;
            bool changed;
            do
            {
                long firstFree = 0;
                var reftableLength = (long)reftable.Length * 8;
                reftableClusters = (reftableLength + g.ClusterSize - 1) / g.ClusterSize;
                reftableOffset = AllocClustersImrt((int)reftableClusters, imrt, ref firstFree);
                var start = reftableOffset >> g.ClusterBits;
                changed = WriteRefblocks(imrt, start, start + reftableClusters, ref reftable);
            }
            while (changed);

            var bytes = new byte[reftable.Length * 8];
            for (var i = 0; i < reftable.Length; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), reftable[i]);
            }
            if (CheckMetadataOverlap(Overlap.None, (ulong)reftableOffset, (ulong)bytes.Length) is var overlap and not Overlap.None)
            {
                SignalOverlap(res, overlap, (ulong)reftableOffset);
                throw new CheckAbortedException("ERROR writing reftable");
            }
            file.Write((ulong)reftableOffset, bytes);
            Span<byte> header = stackalloc byte[12];
            BinaryPrimitives.WriteUInt64BigEndian(header, (ulong)reftableOffset);
            BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)reftableClusters);
            file.Write(48, header);
            file.Flush();
            refcountTable = reftable;
            refcountTableOffset = (ulong)reftableOffset;
            refcountTableSize = reftable.Length;
            refblockCacheOffset = ulong.MaxValue;
        }
        catch (CheckAbortedException)
        {
            res.CheckErrors++;
            throw;
        }
    }
}
