using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image.Files;

namespace QcowKit.Image.Writing;

/// <summary>
/// Owns the refcount table and refcount blocks of an image open for writing: looks refcounts up, changes
/// them and finds free clusters. Every change is written through at once, and every increase (and every new
/// refcount block or table) is noted in the <see cref="WriteBarrier"/>, so the caller's next
/// <see cref="WriteBarrier.Order"/> makes it stable before a pointer to the cluster is written: a crash or power
/// loss leaves clusters counted but unreferenced (a leak), never referenced but uncounted (a corruption).
/// Decreases are the caller's to order: it makes the pointer removal stable first. A new refcount block is made
/// stable before the table entry that points to it, and a grown table before the header switches to it.
/// </summary>
internal sealed class RefcountAllocator
{
    /// <summary>Byte offset of refcount_table_offset in the header; refcount_table_clusters follows at 56.</summary>
    private const int HeaderRefcountTableOffsetField = 48;

    private readonly HostFile _file;
    private readonly int _clusterBits;
    private readonly long _clusterSize;
    private readonly int _refcountOrder;
    private readonly int _blockShift;
    private readonly long _blockMask;
    private readonly ulong _maxRefcount;
    private readonly Dictionary<long, byte[]> _blocks = [];
    private long[] _table;
    private long _tableOffset;
    private int _tableClusters;
    private long _freeHint;
    private IHostWriteObserver? _observer;
    private WriteBarrier? _barrier;

    public RefcountAllocator(HostFile file, int clusterBits, int refcountOrder, long tableOffset, int tableClusters, long[] table)
    {
        _file = file;
        _clusterBits = clusterBits;
        _clusterSize = 1L << clusterBits;
        _refcountOrder = refcountOrder;
        _blockShift = clusterBits + 3 - refcountOrder;
        _blockMask = (1L << _blockShift) - 1;
        _maxRefcount = RefcountBlock.MaxRefcount(refcountOrder);
        _tableOffset = tableOffset;
        _tableClusters = tableClusters;
        _table = table;
    }

    /// <summary>Reads the refcount table of an existing image.</summary>
    public static RefcountAllocator Open(HostFile file, int clusterBits, int refcountOrder, long tableOffset, int tableClusters,
        IHostWriteObserver? observer = null, WriteBarrier? barrier = null)
    {
        var bytes = new byte[(long)tableClusters << clusterBits];
        file.ReadPadded(bytes, tableOffset);
        var table = new long[bytes.Length / 8];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8)) & 0x00ff_ffff_ffff_fe00UL);
        }
        return new RefcountAllocator(file, clusterBits, refcountOrder, tableOffset, tableClusters, table) { _observer = observer, _barrier = barrier };
    }

    public long TableOffset => _tableOffset;

    public int TableClusters => _tableClusters;

    /// <summary>One past the highest cluster index with a non-zero refcount (the end of the used file).</summary>
    public long ClusterEnd()
    {
        for (var bi = _table.Length - 1; bi >= 0; bi--)
        {
            if (_table[bi] == 0) continue;
            var block = LoadBlock(bi);
            for (var i = _blockMask; i >= 0; i--)
            {
                if (RefcountBlock.Get(block, i, _refcountOrder) != 0) return ((long)bi << _blockShift) + i + 1;
            }
        }
        return 0;
    }

    public ulong Get(long cluster)
    {
        var bi = cluster >> _blockShift;
        if (bi >= _table.Length || _table[bi] == 0) return 0;
        return RefcountBlock.Get(LoadBlock(bi), cluster & _blockMask, _refcountOrder);
    }

    /// <summary>Adds <paramref name="delta"/> to the refcount of the cluster at <paramref name="hostOffset"/>, creating its refcount block if needed.</summary>
    public ulong Update(long hostOffset, long delta)
    {
        var cluster = hostOffset >> _clusterBits;
        EnsureBlock(cluster >> _blockShift);
        var current = Get(cluster);
        ulong next;
        if (delta >= 0)
        {
            if (_maxRefcount - current < (ulong)delta)
            {
                throw new QcowFormatException("refcount", hostOffset, $"refcount of the cluster would exceed the {1 << _refcountOrder}-bit maximum {_maxRefcount}");
            }
            next = current + (ulong)delta;
        }
        else
        {
            if (current < (ulong)-delta)
            {
                throw new QcowFormatException("refcount", hostOffset, $"refcount of the cluster would drop below zero (it is {current})");
            }
            next = current - (ulong)-delta;
        }
        SetExisting(cluster, next);
        if (next == 0 && cluster < _freeHint) _freeHint = cluster;
        return next;
    }

    /// <summary>Allocates <paramref name="count"/> contiguous free clusters with refcount 1; returns the host offset of the first.</summary>
    public long Allocate(long count)
    {
        while (true)
        {
            var start = FindFreeRun(count);
            var created = false;
            for (var bi = start >> _blockShift; bi <= (start + count - 1) >> _blockShift; bi++)
            {
                if (bi >= _table.Length || _table[bi] == 0)
                {
                    CreateBlock(bi);
                    created = true;
                    break;
                }
            }
            if (created) continue; // the new block may sit inside the run we found
            SetFreeRun(start, count);
            if (start == _freeHint) _freeHint = start + count;
            return start << _clusterBits;
        }
    }

    /// <summary>Allocates the cluster with index <paramref name="cluster"/> if it is free (refcount 1); false if it is in use.</summary>
    public bool TryAllocateAt(long cluster)
    {
        EnsureBlock(cluster >> _blockShift); // a new block may take this very cluster
        if (Get(cluster) != 0)
        {
            return false;
        }
        SetExisting(cluster, 1);
        if (cluster == _freeHint) _freeHint = cluster + 1;
        return true;
    }

    /// <summary>Lowest index of a run of <paramref name="count"/> clusters with refcount zero.</summary>
    private long FindFreeRun(long count)
    {
        var run = 0L;
        for (var c = _freeHint; ; c++)
        {
            var bi = c >> _blockShift;
            if (bi >= _table.Length || _table[bi] == 0)
            {
                // A whole missing block is free: jump over it.
                var blockEnd = (bi + 1) << _blockShift;
                run += blockEnd - c;
                if (run >= count) return blockEnd - run;
                c = blockEnd - 1;
                continue;
            }
            if (Get(c) == 0)
            {
                if (run == 0 && count == 1) return c;
                run++;
                if (run >= count) return c - count + 1;
            }
            else
            {
                run = 0;
                if (c == _freeHint) _freeHint = c + 1;
            }
        }
    }

    private void CreateBlock(long bi)
    {
        if (bi >= _table.Length)
        {
            GrowTable(bi + 1);
            return;
        }
        while (_table[bi] == 0)
        {
            var r = FindFreeRun(1);
            var rbi = r >> _blockShift;
            if (rbi == bi || rbi >= _table.Length || _table[rbi] == 0)
            {
                if (rbi >= _table.Length)
                {
                    GrowTable(rbi + 1);
                    continue;
                }
                // The first free cluster lies in a range without a block: the block goes there and counts itself.
                var selfBlock = new byte[_clusterSize];
                RefcountBlock.Set(selfBlock, r & _blockMask, _refcountOrder, 1);
                WriteAt(selfBlock, r << _clusterBits);
                _blocks[rbi] = selfBlock;
                _barrier?.ImageWritten();
                _barrier?.Order(); // the block is stable before the table points to it
                PublishTableEntry(rbi, r << _clusterBits);
                continue;
            }
            SetExisting(r, 1);
            var block = new byte[_clusterSize];
            WriteAt(block, r << _clusterBits);
            _blocks[bi] = block;
            _barrier?.ImageWritten();
            _barrier?.Order(); // the block (and the refcount of its cluster) is stable before the table points to it
            PublishTableEntry(bi, r << _clusterBits);
        }
    }

    /// <summary>
    /// Moves the refcount table to a bigger free area together with the blocks that count that area, then
    /// switches the header to it in one write and frees the old table (a crash before the switch leaks the
    /// new area; after it, the old one).
    /// </summary>
    private void GrowTable(long minimumEntries)
    {
        var entriesPerCluster = _clusterSize / 8;
        var newClusters = Math.Max((minimumEntries + entriesPerCluster - 1) / entriesPerCluster, _tableClusters + (_tableClusters + 1) / 2);
        while (true)
        {
            long start;
            var blockCount = 0L;
            List<long> missing;
            while (true)
            {
                start = FindFreeRun(newClusters + blockCount);
                missing = [];
                for (var bi = start >> _blockShift; bi <= (start + newClusters + blockCount - 1) >> _blockShift; bi++)
                {
                    if (bi >= _table.Length || _table[bi] == 0) missing.Add(bi);
                }
                if (missing.Count <= blockCount) break;
                blockCount = missing.Count;
            }
            var newEntries = newClusters * entriesPerCluster;
            if (missing.Count > 0 && missing[^1] >= newEntries || minimumEntries > newEntries)
            {
                newClusters++;
                continue;
            }

            var end = start + newClusters + blockCount;
            var newBlocks = new Dictionary<long, byte[]>();
            var newTable = new long[newEntries];
            Array.Copy(_table, newTable, _table.Length);
            for (var i = 0; i < missing.Count; i++)
            {
                var blockCluster = start + newClusters + i;
                newBlocks[missing[i]] = new byte[_clusterSize];
                newTable[missing[i]] = blockCluster << _clusterBits;
            }
            for (var c = start; c < end; c++)
            {
                var bi = c >> _blockShift;
                if (newBlocks.TryGetValue(bi, out var fresh))
                {
                    RefcountBlock.Set(fresh, c & _blockMask, _refcountOrder, 1);
                }
                else
                {
                    SetExisting(c, 1);
                }
            }
            foreach (var (bi, block) in newBlocks)
            {
                WriteAt(block, newTable[bi]);
                _blocks[bi] = block;
            }
            var tableBytes = new byte[newClusters << _clusterBits];
            for (var i = 0; i < newTable.Length; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(tableBytes.AsSpan(i * 8), (ulong)newTable[i]);
            }
            WriteAt(tableBytes, start << _clusterBits);
            FlushAll();

            var header = new byte[12];
            BinaryPrimitives.WriteUInt64BigEndian(header, (ulong)(start << _clusterBits));
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), (uint)newClusters);
            WriteAt(header, HeaderRefcountTableOffsetField);
            FlushAll(); // the switch is stable before the old table's clusters are freed

            var oldOffset = _tableOffset;
            var oldClusters = _tableClusters;
            _table = newTable;
            _tableOffset = start << _clusterBits;
            _tableClusters = (int)newClusters;
            if (start == _freeHint) _freeHint = end;
            for (var i = 0L; i < oldClusters; i++)
            {
                Update(oldOffset + (i << _clusterBits), -1);
            }
            return;
        }
    }

    /// <summary>An unconditional ordering point; without a barrier (amend) it always fsyncs, as amend expects.</summary>
    private void FlushAll()
    {
        if (_barrier is null)
        {
            HostIo.Flush(_file, _observer);
        }
        else
        {
            _barrier.Flush();
        }
    }

    private void PublishTableEntry(long bi, long blockOffset)
    {
        _table[bi] = blockOffset;
        var entry = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(entry, (ulong)blockOffset);
        WriteAt(entry, _tableOffset + bi * 8);
    }

    private void EnsureBlock(long bi)
    {
        if (bi >= _table.Length || _table[bi] == 0) CreateBlock(bi);
    }

    /// <summary>Sets a run of free clusters (blocks present) to refcount 1 with one write per refcount block.</summary>
    private void SetFreeRun(long start, long count)
    {
        for (var c = start; c < start + count;)
        {
            var bi = c >> _blockShift;
            var end = Math.Min(start + count, (bi + 1) << _blockShift);
            var block = LoadBlock(bi);
            for (var x = c; x < end; x++)
            {
                RefcountBlock.Set(block, x & _blockMask, _refcountOrder, 1);
            }
            // Every entry in the written range was 0 and becomes 1; the bytes around them are what the disk holds.
            var (first, _) = EntryBytes(c & _blockMask);
            var (last, lastLength) = EntryBytes((end - 1) & _blockMask);
            WriteAt(block.AsSpan(first, last + lastLength - first), _table[bi] + first);
            _barrier?.ImageWritten();
            c = end;
        }
    }

    /// <summary>The bytes of a refcount block holding entry <paramref name="index"/> (a shared byte below 8 bits).</summary>
    private (int Offset, int Length) EntryBytes(long index) => _refcountOrder < 3
        ? ((int)((index << _refcountOrder) >> 3), 1)
        : ((int)(index << (_refcountOrder - 3)), 1 << (_refcountOrder - 3));

    private void SetExisting(long cluster, ulong value)
    {
        var bi = cluster >> _blockShift;
        var block = LoadBlock(bi);
        var index = cluster & _blockMask;
        if (value > RefcountBlock.Get(block, index, _refcountOrder))
        {
            _barrier?.ImageWritten();
        }
        RefcountBlock.Set(block, index, _refcountOrder, value);
        // Only the bytes holding this entry go to disk: a torn write cannot touch other entries.
        var (offset, length) = EntryBytes(index);
        WriteAt(block.AsSpan(offset, length), _table[bi] + offset);
    }

    private byte[] LoadBlock(long bi)
    {
        if (_blocks.TryGetValue(bi, out var block)) return block;
        block = new byte[_clusterSize];
        _file.ReadPadded(block, _table[bi]);
        _blocks[bi] = block;
        return block;
    }

    private void WriteAt(ReadOnlySpan<byte> data, long offset) => HostIo.Write(_file, data, offset, _observer);
}
