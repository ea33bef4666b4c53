using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image.Writing;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    /// <summary>L2 tables allocated by the current operation: nothing points to them yet, so they are written whole at its end.</summary>
    private readonly HashSet<long> _newL2 = [];

    /// <summary>Entries the current operation changed in L2 tables that are already referenced, by table.</summary>
    private readonly Dictionary<long, SortedSet<int>> _dirtyL2 = [];

    /// <summary>L1 entries the current operation changes (to new L2 tables); readers see the old ones until its end.</summary>
    private readonly SortedDictionary<long, ulong> _pendingL1 = [];

    /// <summary>References the current operation drops, once the entries that held them are replaced on stable storage.</summary>
    private readonly List<L2Entry> _pendingReleases = [];

    /// <summary>L2 tables the current operation stopped referencing (copied shared tables); unreferenced with the releases.</summary>
    private readonly List<long> _pendingUnrefs = [];

    /// <summary>The L1 entry as the current operation sees it (its own changes included).</summary>
    private ulong CurrentL1Entry(long index) => _pendingL1.TryGetValue(index, out var raw) ? raw : _l1Table[index];

    private void AddNewL2Table(long offset, long l1Index)
    {
        _newL2.Add(offset);
        _pendingL1[l1Index] = L1Entry.Create(offset, copied: true).Raw;
    }

    private void MarkL2Entry(long tableOffset, int index)
    {
        if (_newL2.Contains(tableOffset))
        {
            return;
        }
        if (!_dirtyL2.TryGetValue(tableOffset, out var indexes))
        {
            indexes = [];
            _dirtyL2[tableOffset] = indexes;
        }
        indexes.Add(index);
    }

    private void DeferRelease(L2Entry old)
    {
        if (old.IsCompressed || old.HostOffset != 0)
        {
            _pendingReleases.Add(old);
        }
    }

    private void DeferUnref(long hostOffset) => _pendingUnrefs.Add(hostOffset);

    /// <summary>
    /// Publishes what the operation prepared, in qemu's dependency order, with at most two fsyncs: the new L2
    /// tables' contents; one barrier making them, the refcount increases and the guest data (copy-on-write
    /// included) stable; the changed entries of existing tables (contiguous ones in one write) and the L1
    /// entries; then, if references are dropped, a barrier making the replacements stable before the refcount
    /// decreases (so a freed cluster cannot be reused while a stable pointer to it remains). A killed process
    /// stops somewhere in this order and leaves at worst leaks; a power loss keeps any subset of the writes
    /// between two barriers, and none of those subsets is worse.
    /// </summary>
    private void PublishPending()
    {
        foreach (var offset in _newL2)
        {
            WriteTableAt(_pendingL2[offset], offset);
            _barrier!.ImageWritten();
        }
        if (_dirtyL2.Count > 0 || _pendingL1.Count > 0)
        {
            _barrier!.Order();
        }
        foreach (var (offset, indexes) in _dirtyL2)
        {
            WriteL2Entries(offset, _pendingL2[offset], indexes);
        }
        foreach (var (offset, table) in _pendingL2)
        {
            L2Cache.Put(offset, table);
        }
        foreach (var (index, raw) in _pendingL1)
        {
            SetL1Entry(index, raw);
        }
        if (_pendingReleases.Count > 0 || _pendingUnrefs.Count > 0)
        {
            _barrier!.Flush();
            foreach (var old in _pendingReleases)
            {
                Release(old);
            }
            foreach (var offset in _pendingUnrefs)
            {
                Unref(offset);
            }
        }
        DropUnpublished();
    }

    /// <summary>Forgets what the operation did not publish: unpublished tables only leak, dropped releases too.</summary>
    private void DropUnpublished()
    {
        _newL2.Clear();
        _dirtyL2.Clear();
        _pendingL1.Clear();
        _pendingReleases.Clear();
        _pendingUnrefs.Clear();
    }

    /// <summary>Writes the given entries of a referenced L2 table, one write per run of adjacent entries.</summary>
    private void WriteL2Entries(long tableOffset, ulong[] table, SortedSet<int> indexes)
    {
        var entrySize = Header.L2EntrySize;
        var words = entrySize / 8;
        var buffer = new byte[indexes.Count * entrySize];
        var runStart = -1;
        var runLength = 0;
        void WriteRun()
        {
            if (runLength == 0)
            {
                return;
            }
            var bytes = buffer.AsSpan(0, runLength * entrySize);
            for (var i = 0; i < runLength * words; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(bytes[(i * 8)..], table[(runStart * words) + i]);
            }
            HostIo.Write(ImageFile, bytes, tableOffset + ((long)runStart * entrySize), Options.WriteObserver);
        }
        foreach (var index in indexes)
        {
            if (runLength > 0 && index == runStart + runLength)
            {
                runLength++;
                continue;
            }
            WriteRun();
            runStart = index;
            runLength = 1;
        }
        WriteRun();
    }
}
