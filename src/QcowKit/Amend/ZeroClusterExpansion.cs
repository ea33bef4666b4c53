using QcowKit.Format;

namespace QcowKit.Amend;

/// <summary>
/// qemu's qcow2_expand_zero_clusters, run before a downgrade because version 2 has no zero flag. In the active
/// L1 table and then every snapshot's: a zero cluster with a host cluster gets zeros written there and loses
/// the flag; one without a host cluster becomes unallocated when there is no backing file, else gets a new
/// zeroed cluster (counted once per L1 table sharing its L2 table). Zeros reach the disk before the L2 entry
/// that stops saying "zero", so the image stays valid throughout.
/// </summary>
internal static class ZeroClusterExpansion
{
    public static void Run(AmendFile file, Action<double> progress, CancellationToken cancellationToken)
    {
        var h = file.ReadHeader();
        var tables = file.L1Tables(h);
        var totalEntries = Math.Max(1L, tables.Sum(t => (long)t.Size));
        var visited = 0L;
        var allocator = file.OpenAllocator(h);
        var hasBacking = !string.IsNullOrEmpty(h.BackingFile);
        var zeros = new byte[h.ClusterSize];
        foreach (var (l1Offset, l1Size, owner) in tables)
        {
            var l1 = file.ReadTable(l1Offset, l1Size);
            for (var i = 0; i < l1.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var l2Offset = (long)(l1[i] & L1Entry.OffsetMask);
                visited++;
                if (l2Offset == 0)
                {
                    continue;
                }
                if ((l2Offset & h.ClusterOffsetMask) != 0)
                {
                    throw new QcowFormatException("L1 entry", l1Offset + (i * 8L), $"{owner}: L2 table offset 0x{l2Offset:x} is not cluster aligned");
                }
                var l2 = file.ReadTable(l2Offset, h.L2Entries);
                var l2Refcount = allocator.Get(l2Offset >> h.ClusterBits);
                var changed = false;
                for (var j = 0; j < l2.Length; j++)
                {
                    var entry = new L2Entry(l2[j], 0);
                    if (entry.IsCompressed || (entry.Raw & L2Entry.ZeroFlag) == 0)
                    {
                        continue;
                    }
                    var host = entry.HostOffset;
                    if (host == 0 && !hasBacking)
                    {
                        l2[j] = 0;
                        changed = true;
                        continue;
                    }
                    var copied = entry.Copied;
                    if (host == 0)
                    {
                        host = allocator.Allocate(1);
                        if (l2Refcount > 1)
                        {
                            allocator.Update(host, (long)l2Refcount - 1);
                        }
                        copied = l2Refcount == 1;
                    }
                    else if ((host & h.ClusterOffsetMask) != 0)
                    {
                        throw new QcowFormatException("L2 entry", l2Offset + (j * 8L), $"{owner}: zero cluster offset 0x{host:x} is not cluster aligned");
                    }
                    file.Handle.Write(zeros, host);
                    l2[j] = (ulong)host | (copied ? L2Entry.CopiedFlag : 0);
                    changed = true;
                }
                if (changed)
                {
                    file.Flush();
                    file.WriteTable(l2, l2Offset);
                    file.Flush();
                    file.Reached("L2 table expanded");
                }
                progress((double)visited / totalEntries);
            }
        }
        progress(1);
    }

    /// <summary>qcow2_has_compressed_clusters: whether the active L1 table maps any compressed cluster.</summary>
    public static bool HasCompressedClusters(AmendFile file, QcowHeader h)
    {
        var l1 = file.ReadTable((long)h.L1TableOffset, h.L1Size);
        var stride = h.HasExtendedL2 ? 2 : 1;
        foreach (var l1Entry in l1)
        {
            var l2Offset = (long)(l1Entry & L1Entry.OffsetMask);
            if (l2Offset == 0)
            {
                continue;
            }
            var l2 = file.ReadTable(l2Offset, h.ClusterSize / 8);
            for (var j = 0; j < l2.Length; j += stride)
            {
                if ((l2[j] & L2Entry.CompressedFlag) != 0)
                {
                    return true;
                }
            }
        }
        return false;
    }
}
