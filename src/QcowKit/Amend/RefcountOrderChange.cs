using System.Globalization;
using QcowKit.Format;
using QcowKit.Image.Writing;

namespace QcowKit.Amend;

/// <summary>
/// qemu's qcow2_change_refcount_order: the new refcount blocks and table are first allocated in the old
/// structures (repeated until the allocations stop adding blocks), then filled from the old refcounts and
/// written, then the header is switched to them in one write, and only then are the old blocks and table
/// freed in the new structures. A crash before the switch leaks the new clusters; after it, the old ones.
/// </summary>
internal static class RefcountOrderChange
{
    /// <summary>
    /// Refuses, before anything is written, a narrower width that some refcount does not fit (qemu's message).
    /// </summary>
    public static void RefuseNarrowing(AmendFile file, QcowHeader h, int newOrder)
    {
        if (newOrder >= h.RefcountOrder)
        {
            return;
        }
        var max = RefcountBlock.MaxRefcount(newOrder);
        var table = file.ReadTable((long)h.RefcountTableOffset, h.RefcountTableEntries);
        var block = new byte[h.ClusterSize];
        var entries = h.RefcountBlockEntries;
        for (var bi = 0L; bi < table.Length; bi++)
        {
            var offset = (long)(table[bi] & L1Entry.OffsetMask);
            if (offset == 0)
            {
                continue;
            }
            file.Handle.ReadPadded(block, offset);
            for (var i = 0L; i < entries; i++)
            {
                var refcount = RefcountBlock.Get(block, i, h.RefcountOrder);
                if (refcount > max)
                {
                    var cluster = ((bi * entries) + i) << h.ClusterBits;
                    throw new QcowOptionsException(string.Create(CultureInfo.InvariantCulture,
                        $"Cannot decrease refcount entry width to {1 << newOrder} bits: Cluster at offset 0x{cluster:x} has a refcount of {refcount}"));
                }
            }
        }
    }

    public static void Run(AmendFile file, QcowHeader h, int newOrder, Action<double> progress)
    {
        var clusterBits = h.ClusterBits;
        var clusterSize = (long)h.ClusterSize;
        var newBlockEntries = RefcountBlock.EntriesPerBlock(h.ClusterSize, newOrder);
        var old = file.OpenAllocator(h);

        // Allocate in the old structures until the set of new blocks and the new table cover every cluster in use.
        var newBlocks = new SortedDictionary<long, long>();
        var tableOffset = 0L;
        var tableClusters = 0L;
        while (true)
        {
            var changed = false;
            var end = old.ClusterEnd();
            for (var start = 0L; start < end; start += newBlockEntries)
            {
                var index = start / newBlockEntries;
                if (newBlocks.ContainsKey(index) || !AnyInUse(old, start, Math.Min(end, start + newBlockEntries)))
                {
                    continue;
                }
                newBlocks[index] = old.Allocate(1);
                changed = true;
            }
            var lastIndex = newBlocks.Count == 0 ? 0 : newBlocks.Keys.Max();
            var needed = Math.Max(1, (((lastIndex + 1) * 8) + clusterSize - 1) >> clusterBits);
            if (needed * clusterSize > QcowLimits.MaxRefcountTableBytes)
            {
                throw new QcowOptionsException("This operation would make the refcount table grow beyond the maximum size supported by QEMU, aborting");
            }
            if (needed > tableClusters)
            {
                if (tableOffset != 0)
                {
                    for (var i = 0L; i < tableClusters; i++)
                    {
                        old.Update(tableOffset + (i << clusterBits), -1);
                    }
                }
                tableOffset = old.Allocate(needed);
                tableClusters = needed;
                changed = true;
            }
            if (!changed)
            {
                break;
            }
        }
        file.Flush();
        file.Reached("new refcount structures allocated");
        progress(0.3);

        // Fill and write the new blocks from the old refcounts (which now count the new structures too).
        var block = new byte[clusterSize];
        var done = 0;
        foreach (var (index, offset) in newBlocks)
        {
            Array.Clear(block);
            var first = index * newBlockEntries;
            for (var i = 0L; i < newBlockEntries; i++)
            {
                var refcount = old.Get(first + i);
                if (refcount != 0)
                {
                    RefcountBlock.Set(block, i, newOrder, refcount);
                }
            }
            file.Handle.Write(block, offset);
            progress(0.3 + (0.5 * ++done / newBlocks.Count));
        }
        var table = new ulong[tableClusters * clusterSize / 8];
        foreach (var (index, offset) in newBlocks)
        {
            table[index] = (ulong)offset;
        }
        file.WriteTable(table, tableOffset);
        file.Flush();
        file.Reached("new refcount structures written");

        // The old table may have moved while allocating: free what the header names now, after the switch.
        var oldTableOffset = old.TableOffset;
        var oldTableClusters = old.TableClusters;
        var oldTable = file.ReadTable(oldTableOffset, (long)oldTableClusters * clusterSize / 8);
        var header = file.ReadHeader();
        header.RefcountOrder = newOrder;
        header.RefcountTableOffset = (ulong)tableOffset;
        header.RefcountTableClusters = (uint)tableClusters;
        file.WriteHeader(header);

        var fresh = RefcountAllocator.Open(file.Handle, clusterBits, newOrder, tableOffset, (int)tableClusters);
        foreach (var entry in oldTable)
        {
            var offset = (long)(entry & L1Entry.OffsetMask);
            if (offset != 0)
            {
                fresh.Update(offset, -1);
            }
        }
        for (var i = 0L; i < oldTableClusters; i++)
        {
            fresh.Update(oldTableOffset + (i << clusterBits), -1);
        }
        file.Flush();
        file.Reached("old refcount structures freed");
        progress(1);
    }

    private static bool AnyInUse(RefcountAllocator allocator, long start, long end)
    {
        for (var c = start; c < end; c++)
        {
            if (allocator.Get(c) != 0)
            {
                return true;
            }
        }
        return false;
    }
}
