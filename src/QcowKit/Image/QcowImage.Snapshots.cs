using System.Buffers.Binary;
using System.Globalization;
using QcowKit.Format;
using QcowKit.Image.Writing;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    /// <summary>
    /// Creates an internal snapshot of the current disk state, as <c>qemu-img snapshot -c</c>: the active L1
    /// table is copied, every L2 table and data cluster it reaches gains a reference, and the active tables
    /// lose their COPIED flags where clusters became shared. The id is the highest numeric id plus one.
    /// As in qemu, names need not be unique (and may look like another snapshot's id): <see cref="ApplySnapshot"/>
    /// looks up ids first, <see cref="DeleteSnapshot"/> names only, and both take the first match in table order.
    /// </summary>
    /// <param name="name">The snapshot's name.</param>
    /// <param name="date">Creation time recorded in the table; defaults to now.</param>
    /// <param name="cancellationToken">Observed before the first metadata write: a canceled call leaves the image as it was.</param>
    /// <returns>The new snapshot.</returns>
    /// <exception cref="InvalidOperationException">
    /// The image has an external data file, or 1-bit refcounts and allocated clusters (which qemu refuses with
    /// -22, Invalid argument).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the image changed.</exception>
    public QcowSnapshotInfo CreateSnapshot(string name, DateTimeOffset? date = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_writeLock)
        {
            cancellationToken.ThrowIfCancellationRequested();
            BeginSnapshotChange();
            if (Header.RefcountOrder == 0 && _l1Table.AsSpan().ContainsAnyExcept(0UL))
            {
                // Sharing an L2 table would need refcount 2, above the 1-bit maximum; qemu fails the same way
                // (-EINVAL) but only after it has allocated the L1 copy: refuse before anything changes.
                throw new InvalidOperationException("-22 (Invalid argument): a snapshot of an image with allocated clusters needs refcount_bits of at least 2 (this image has 1)");
            }
            var nextId = 1L;
            foreach (var s in SnapshotEntries)
            {
                if (long.TryParse(s.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= nextId)
                {
                    nextId = id + 1;
                }
            }
            var when = date ?? DateTimeOffset.UtcNow;
            var ticks = when.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            try
            {
                var l1 = _l1Table.ToArray();
                var l1Offset = WriteL1Copy(l1);
                AdjustReferences(l1, 1, active: true);
                var entry = new SnapshotTableEntry
                {
                    Id = nextId.ToString(CultureInfo.InvariantCulture),
                    Name = name,
                    L1TableOffset = (ulong)l1Offset,
                    L1Size = (uint)l1.Length,
                    DateSeconds = (uint)(ticks / TimeSpan.TicksPerSecond),
                    DateNanoseconds = (uint)(ticks % TimeSpan.TicksPerSecond * 100),
                    VmStateSizeLarge = 0,
                    DiskSize = (ulong)VirtualSize,
                    Icount = 0, // what qemu-img writes outside record/replay
                };
                WriteSnapshotTable([.. SnapshotEntries, entry]);
                EndWrite();
                _barrier!.Flush();
                return Snapshots[^1];
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    /// <summary>
    /// Reverts the disk to a snapshot, as <c>qemu-img snapshot -a</c>: the snapshot's L1 table becomes the
    /// active one (its clusters gain a reference, the old active ones lose one) and COPIED flags are recomputed.
    /// The snapshot is looked up by id first, then by name (qemu's find_snapshot_by_id_or_name). Like qemu,
    /// this is refused while the image has persistent bitmaps, which would not record the change.
    /// </summary>
    /// <param name="nameOrId">The snapshot's id or name.</param>
    /// <param name="cancellationToken">Observed before the first metadata write: a canceled call leaves the image as it was.</param>
    /// <exception cref="InvalidOperationException">The image has bitmaps, no such snapshot, or it was taken at another disk size.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the image changed.</exception>
    public void ApplySnapshot(string nameOrId, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            RefuseWithBitmaps("Device has active dirty bitmaps");
            cancellationToken.ThrowIfCancellationRequested();
            BeginSnapshotChange();
            var entry = SnapshotEntries.FirstOrDefault(s => s.Id == nameOrId) ?? SnapshotEntries.FirstOrDefault(s => s.Name == nameOrId)
                ?? throw new InvalidOperationException("Failed to load snapshot: No such file or directory");
            if (entry.DiskSize is { } size && size != (ulong)VirtualSize)
            {
                throw new InvalidOperationException("qcow2: Loading snapshots with different disk size is not supported");
            }
            try
            {
                var snapshotL1 = ReadSnapshotL1(entry);
                if (snapshotL1.Length > _l1Table.Length)
                {
                    GrowL1(snapshotL1.Length);
                }
                AdjustReferences(snapshotL1, 1, active: false);
                _barrier!.Flush(); // the snapshot's clusters are counted twice before the active L1 points to them
                var old = _l1Table.ToArray();
                var table = new ulong[_l1Table.Length];
                for (var i = 0; i < snapshotL1.Length; i++)
                {
                    table[i] = snapshotL1[i] & L1Entry.OffsetMask;
                }
                WriteTableAt(table, (long)Header.L1TableOffset);
                _barrier!.Flush();
                _l1Table = table;
                AdjustReferences(old, -1, active: false);
                AdjustReferences(_l1Table.ToArray(), 0, active: true);
                EndWrite();
                _barrier!.Flush();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    /// <summary>
    /// Deletes a snapshot, as <c>qemu-img snapshot -d</c>: it leaves the table first, then its clusters lose a
    /// reference, its L1 table is freed and the active COPIED flags are recomputed. As qemu-img's bdrv_snapshot_find,
    /// the snapshot is looked up by name only (the first with that name); an id is not a name.
    /// </summary>
    /// <param name="name">The snapshot's name.</param>
    /// <param name="cancellationToken">Observed before the first metadata write: a canceled call leaves the image as it was.</param>
    /// <exception cref="InvalidOperationException">No snapshot has that name.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the image changed.</exception>
    public void DeleteSnapshot(string name, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            cancellationToken.ThrowIfCancellationRequested();
            BeginSnapshotChange();
            var entry = SnapshotEntries.FirstOrDefault(s => s.Name == name) ?? throw new InvalidOperationException("snapshot not found");
            try
            {
                var snapshotL1 = ReadSnapshotL1(entry);
                WriteSnapshotTable(SnapshotEntries.Where(s => !ReferenceEquals(s, entry)).ToList());
                AdjustReferences(snapshotL1, -1, active: false);
                FreeClusters((long)entry.L1TableOffset, (long)entry.L1Size * 8);
                AdjustReferences(_l1Table.ToArray(), 0, active: true);
                EndWrite();
                _barrier!.Flush();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    private void BeginSnapshotChange()
    {
        BeginWrite(0, 0);
        if (Header.HasExternalDataFile)
        {
            throw new InvalidOperationException("Internal snapshots are not supported on images with an external data file (as in qemu).");
        }
    }

    private ulong[] ReadSnapshotL1(SnapshotTableEntry entry)
    {
        var bytes = (long)entry.L1Size * 8;
        if (bytes > QcowLimits.MaxL1SizeBytes || (entry.L1TableOffset & (ulong)Header.ClusterOffsetMask) != 0
            || (long)entry.L1TableOffset + bytes > FileLength)
        {
            throw new QcowFormatException("l1_table_offset", entry.FileOffset,
                $"snapshot '{entry.Name}' has an L1 table ({entry.L1Size} entries at {entry.L1TableOffset}) that is unaligned, too large or past the end of the file");
        }
        return ReadTable(entry.L1TableOffset, (int)entry.L1Size);
    }

    /// <summary>Writes a copy of an L1 table (without COPIED flags, which only the active table carries) to new clusters.</summary>
    private long WriteL1Copy(ulong[] l1)
    {
        var clusters = Math.Max(1, ((l1.Length * 8L) + Header.ClusterSize - 1) >> Header.ClusterBits);
        var offset = _allocator!.Allocate(clusters);
        var copy = new ulong[l1.Length];
        for (var i = 0; i < l1.Length; i++)
        {
            copy[i] = l1[i] & L1Entry.OffsetMask;
        }
        WriteTableAt(copy, offset);
        return offset;
    }

    private void WriteTableAt(ulong[] table, long offset)
    {
        var buffer = new byte[table.Length * 8];
        for (var i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(i * 8), table[i]);
        }
        HostIo.Write(ImageFile, buffer, offset, Options.WriteObserver);
    }

    private void FreeClusters(long offset, long bytes)
    {
        for (var at = offset; at < offset + bytes; at += Header.ClusterSize)
        {
            Unref(at);
        }
    }

    /// <summary>
    /// qemu's qcow2_update_snapshot_refcount: adds <paramref name="addend"/> to the refcount of every L2 table
    /// and data cluster reachable from <paramref name="l1"/> and recomputes the COPIED flags of the L2 entries
    /// (set exactly where the refcount is 1). For the <paramref name="active"/> L1 the L1 COPIED flags are
    /// recomputed too.
    /// </summary>
    private void AdjustReferences(ulong[] l1, long addend, bool active)
    {
        var h = Header;
        var stride = h.HasExtendedL2 ? 2 : 1;
        var freedAny = false;
        for (var i = 0; i < l1.Length; i++)
        {
            var l1Entry = new L1Entry(l1[i]);
            var l2Offset = l1Entry.L2TableOffset;
            if (l2Offset == 0)
            {
                continue;
            }
            if ((l2Offset & h.ClusterOffsetMask) != 0 || l2Offset + h.ClusterSize > FileLength)
            {
                throw new QcowFormatException("L2 table offset", (long)h.L1TableOffset + (i * 8L), $"L2 table at {l2Offset} is unaligned or past the end of the file");
            }
            var table = (ulong[])L2Cache.GetOrLoad(l2Offset, o => ReadTable((ulong)o, h.ClusterSize / 8)).Clone();
            var changed = false;
            for (var j = 0; j < table.Length; j += stride)
            {
                var entry = new L2Entry(table[j], 0);
                ulong refcount;
                if (entry.IsCompressed)
                {
                    var descriptor = entry.Compressed(h.ClusterBits);
                    var first = descriptor.HostOffset & ~(QcowLimits.CompressedSectorSize - 1L);
                    var end = first + ((long)descriptor.SectorCount * QcowLimits.CompressedSectorSize);
                    for (var cluster = first >> h.ClusterBits; cluster <= (end - 1) >> h.ClusterBits; cluster++)
                    {
                        if (addend < 0)
                        {
                            Unref(cluster << h.ClusterBits);
                            freedAny = true;
                        }
                        else if (addend > 0)
                        {
                            _allocator!.Update(cluster << h.ClusterBits, addend);
                        }
                    }
                    refcount = 2; // compressed clusters are never written in place
                }
                else if (entry.HostOffset != 0)
                {
                    if ((entry.HostOffset & h.ClusterOffsetMask) != 0)
                    {
                        throw new QcowFormatException("L2 entry", l2Offset + ((long)j * 8), $"data cluster offset {entry.HostOffset} is not cluster aligned");
                    }
                    if (addend < 0)
                    {
                        Unref(entry.HostOffset);
                        freedAny = true;
                    }
                    else if (addend > 0)
                    {
                        _allocator!.Update(entry.HostOffset, addend);
                    }
                    refcount = _allocator!.Get(entry.HostOffset >> h.ClusterBits);
                }
                else
                {
                    refcount = 0;
                }
                var raw = refcount == 1 ? table[j] | L2Entry.CopiedFlag : table[j] & ~L2Entry.CopiedFlag;
                if (raw != table[j])
                {
                    table[j] = raw;
                    changed = true;
                }
            }
            if (changed)
            {
                WriteTableAt(table, l2Offset);
                L2Cache.Put(l2Offset, table);
            }
            ulong l2Refcount;
            if (addend < 0)
            {
                Unref(l2Offset);
                l2Refcount = _allocator!.Get(l2Offset >> h.ClusterBits);
                if (l2Refcount == 0)
                {
                    L2Cache.Invalidate(l2Offset);
                }
            }
            else
            {
                l2Refcount = addend > 0 ? _allocator!.Update(l2Offset, addend) : _allocator!.Get(l2Offset >> h.ClusterBits);
            }
            if (active)
            {
                var raw = L1Entry.Create(l2Offset, copied: l2Refcount == 1).Raw;
                if (raw != _l1Table[i])
                {
                    SetL1Entry(i, raw);
                }
            }
        }
        if (freedAny)
        {
            ReleaseCompressedCache();
        }
    }

    /// <summary>Writes a new snapshot table, points the header at it in one write, then frees the old table.</summary>
    private void WriteSnapshotTable(List<SnapshotTableEntry> entries)
    {
        var h = Header;
        var oldOffset = (long)h.SnapshotsOffset;
        var oldBytes = SnapshotEntries.Sum(s => (long)s.EncodedSize);
        var size = entries.Sum(s => (long)s.EncodedSize);
        if (size > QcowLimits.MaxSnapshotTableBytes)
        {
            throw new InvalidOperationException("The snapshot table would exceed qemu's size limit.");
        }
        long newOffset = 0;
        if (entries.Count > 0)
        {
            newOffset = _allocator!.Allocate((size + h.ClusterSize - 1) >> h.ClusterBits);
            var buffer = new byte[size];
            var at = 0;
            foreach (var entry in entries)
            {
                entry.FileOffset = newOffset + at;
                at += entry.Write(buffer.AsSpan(at));
            }
            HostIo.Write(ImageFile, buffer, newOffset, Options.WriteObserver);
        }
        _barrier!.Flush();
        Span<byte> fields = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(fields, (uint)entries.Count);
        BinaryPrimitives.WriteUInt64BigEndian(fields[4..], (ulong)newOffset);
        HostIo.Write(ImageFile, fields, HeaderFieldOffsets.NbSnapshots, Options.WriteObserver);
        _barrier!.Flush();
        h.NbSnapshots = (uint)entries.Count;
        h.SnapshotsOffset = (ulong)newOffset;
        SnapshotEntries = entries;
        Snapshots = entries.Select(s => new QcowSnapshotInfo(s.Id, s.Name, s.EffectiveVmStateSize, s.DateSeconds, s.DateNanoseconds,
            s.VmClockNanoseconds, s.DiskSize, s.Icount, s.L1Size)).ToArray();
        if (oldOffset != 0 && oldBytes > 0)
        {
            FreeClusters(oldOffset, oldBytes);
        }
    }
}
