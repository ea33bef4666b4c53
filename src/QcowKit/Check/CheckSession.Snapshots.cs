using System.Buffers.Binary;
using System.Text;

namespace QcowKit.Check;

/// <summary>
/// One snapshot table entry as qemu holds it in memory after reading the table in check mode: what the
/// repair writes back when it rewrites the table. <see cref="ExtraDataSize"/> is the size qemu keeps
/// (at most 1024 bytes); the unknown extra data beyond the known 24 bytes is re-read from the file
/// when the table is rewritten rather than kept in memory.
/// </summary>
internal sealed record SnapshotEntry(long EntryOffset, ulong L1TableOffset, uint L1Size, uint ExtraDataSize, string Id, string Name)
{
    public uint DateSeconds { get; init; }
    public uint DateNanoseconds { get; init; }
    public ulong VmClockNanoseconds { get; init; }
    public ulong VmStateSize { get; init; }
    public ulong DiskSize { get; init; }
    public ulong InstructionCount { get; init; }
    public ulong UnknownExtraOffset { get; init; }
    public byte[] IdBytes { get; init; } = [];
    public byte[] NameBytes { get; init; } = [];
}

internal sealed partial class CheckSession
{
    /// <summary>qcow2_check_read_snapshot_table: reads the table in check mode; broken pointers are check errors.</summary>
    private void CheckReadSnapshotTable(CheckCounts result)
    {
        Span<byte> pointer = stackalloc byte[12];
        _file.Read(60, pointer);
        var nbSnapshots = BinaryPrimitives.ReadUInt32BigEndian(pointer);
        _snapshotsOffset = BinaryPrimitives.ReadUInt64BigEndian(pointer[4..]);
        var nbClustersReduced = 0L;

        if (nbSnapshots > QcowMasks.MaxSnapshots && FixErrors)
        {
            Report(QcowFindingCodes.TooManySnapshots, QcowFindingSeverity.Error,
                $"Discarding {nbSnapshots - QcowMasks.MaxSnapshots} overhanging snapshots", 60);
            nbClustersReduced += nbSnapshots - QcowMasks.MaxSnapshots;
            nbSnapshots = QcowMasks.MaxSnapshots;
        }

        string? invalid = null;
        if (nbSnapshots > QcowMasks.MaxSnapshots)
        {
            invalid = $"snapshot table too large: nb_snapshots {nbSnapshots} exceeds {QcowMasks.MaxSnapshots}";
        }
        else if (long.MaxValue - (long)nbSnapshots * QcowMasks.SnapshotHeaderSize < (long)Math.Min(_snapshotsOffset, long.MaxValue)
                 || _snapshotsOffset > long.MaxValue || _geometry.OffsetIntoCluster(_snapshotsOffset) != 0)
        {
            invalid = $"snapshot table offset invalid: 0x{_snapshotsOffset:x} is not cluster aligned or too large";
        }
        if (invalid is not null)
        {
            result.CheckErrors++;
            Report(invalid.Contains("too large", StringComparison.Ordinal) ? QcowFindingCodes.TooManySnapshots : QcowFindingCodes.SnapshotTableInvalid,
                QcowFindingSeverity.Error, "ERROR " + invalid, invalid.Contains("too large", StringComparison.Ordinal) ? 60 : 64);
            _snapshotsOffset = 0;
            throw new CheckAbortedException(invalid);
        }

        var extraDataDropped = 0;
        if (!TryReadSnapshots(nbSnapshots, FixErrors, ref nbClustersReduced, ref extraDataDropped, out var error))
        {
            result.CheckErrors++;
            Report(QcowFindingCodes.SnapshotTableUnreadable, QcowFindingSeverity.Error, "ERROR failed to read the snapshot table: " + error, (long)Math.Min(_snapshotsOffset, long.MaxValue));
            _snapshots = [];
            _snapshotsOffset = 0;
            _snapshotsSize = 0;
            throw new CheckAbortedException(error);
        }
        result.Corruptions += nbClustersReduced + extraDataDropped;
        if (nbClustersReduced != 0)
        {
            Span<byte> count = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(count, (uint)_snapshots.Count);
            _file.Write(60, count);
            result.CorruptionsFixed += nbClustersReduced;
            result.Corruptions -= nbClustersReduced;
        }

        if (_geometry.Version >= 3)
        {
            for (var i = 0; i < _snapshots.Count; i++)
            {
                if (_snapshots[i].ExtraDataSize < 16)
                {
                    result.Corruptions++;
                    Report(QcowFindingCodes.SnapshotEntryIncomplete, QcowFindingSeverity.Error,
                        $"{(FixErrors ? "Repairing" : "ERROR")} snapshot table entry {i} is incomplete", _snapshots[i].EntryOffset + 32);
                }
            }
        }
    }

    /// <summary>qcow2_do_read_snapshots. Memory: names are at most 64 KiB each and entries are read one at a time.</summary>
    private bool TryReadSnapshots(uint count, bool repair, ref long nbClustersReduced, ref int extraDataDropped, out string error)
    {
        error = string.Empty;
        var list = new List<SnapshotEntry>();
        if (count == 0)
        {
            _snapshots = list;
            _snapshotsSize = 0;
            return true;
        }
        var offset = _snapshotsOffset;
        ulong tableLength = 0;
        Span<byte> entryHeader = stackalloc byte[QcowMasks.SnapshotHeaderSize];
        Span<byte> known = stackalloc byte[KnownExtraSize];
        for (var i = 0; i < count; i++)
        {
            var preOffset = offset;
            tableLength = (tableLength + 7) & ~7UL;
            offset = (offset + 7) & ~7UL;
            var entryOffset = offset;
            _file.Read(offset, entryHeader);
            offset += QcowMasks.SnapshotHeaderSize;
            var l1Offset = BinaryPrimitives.ReadUInt64BigEndian(entryHeader);
            var l1Size = BinaryPrimitives.ReadUInt32BigEndian(entryHeader[8..]);
            var idSize = BinaryPrimitives.ReadUInt16BigEndian(entryHeader[12..]);
            var nameSize = BinaryPrimitives.ReadUInt16BigEndian(entryHeader[14..]);
            var extraSize = BinaryPrimitives.ReadUInt32BigEndian(entryHeader[36..]);
            var truncateUnknown = false;
            if (extraSize > QcowMasks.MaxSnapshotExtraData)
            {
                if (!repair)
                {
                    error = $"Too much extra metadata in snapshot table entry {i}";
                    return false;
                }
                Report(QcowFindingCodes.SnapshotTableUnreadable, QcowFindingSeverity.Error,
                    $"Discarding too much extra metadata in snapshot table entry {i} ({extraSize} > {QcowMasks.MaxSnapshotExtraData})", (long)entryOffset + 36);
                extraDataDropped++;
                truncateUnknown = true;
            }
            // The known extra data: vm_state_size_large, disk_size, icount; older entries have less of it.
            known.Clear();
            var knownSize = (int)Math.Min(extraSize, (uint)KnownExtraSize);
            _file.Read(offset, known[..knownSize]);
            offset += (ulong)knownSize;
            var vmStateSize = extraSize >= 8 ? BinaryPrimitives.ReadUInt64BigEndian(known) : BinaryPrimitives.ReadUInt32BigEndian(entryHeader[32..]);
            var diskSize = extraSize >= 16 ? BinaryPrimitives.ReadUInt64BigEndian(known[8..]) : _geometry.VirtualSize / 512 * 512;
            var icount = extraSize >= 24 ? BinaryPrimitives.ReadUInt64BigEndian(known[16..]) : ulong.MaxValue;
            var keptExtra = extraSize;
            var unknownOffset = offset;
            if (extraSize > KnownExtraSize)
            {
                // The table keeps its on-disk layout: names follow the whole extra data, even when part of it is dropped.
                var extraEnd = offset + extraSize - KnownExtraSize;
                if (truncateUnknown) keptExtra = QcowMasks.MaxSnapshotExtraData;
                offset = extraEnd;
            }
            var idBytes = new byte[idSize];
            _file.Read(offset, idBytes);
            offset += idSize;
            var nameBytes = new byte[nameSize];
            _file.Read(offset, nameBytes);
            offset += nameSize;
            tableLength += (ulong)QcowMasks.SnapshotHeaderSize + keptExtra + idSize + nameSize;
            if (tableLength > QcowMasks.MaxSnapshotsSize || offset - _snapshotsOffset > int.MaxValue)
            {
                if (!repair)
                {
                    error = "Snapshot table is too big";
                    return false;
                }
                Report(QcowFindingCodes.SnapshotTableUnreadable, QcowFindingSeverity.Error,
                    $"Discarding {count - i} overhanging snapshots (snapshot table is too big)", (long)entryOffset);
                nbClustersReduced += count - i;
                offset = preOffset;
                break;
            }
            list.Add(new SnapshotEntry((long)entryOffset, l1Offset, l1Size, keptExtra,
                Encoding.UTF8.GetString(idBytes), Encoding.UTF8.GetString(nameBytes))
            {
                DateSeconds = BinaryPrimitives.ReadUInt32BigEndian(entryHeader[16..]),
                DateNanoseconds = BinaryPrimitives.ReadUInt32BigEndian(entryHeader[20..]),
                VmClockNanoseconds = BinaryPrimitives.ReadUInt64BigEndian(entryHeader[24..]),
                VmStateSize = vmStateSize,
                DiskSize = diskSize,
                InstructionCount = icount,
                UnknownExtraOffset = unknownOffset,
                IdBytes = CString(idBytes),
                NameBytes = CString(nameBytes),
            });
        }
        _snapshots = list;
        _snapshotsSize = (long)(offset - _snapshotsOffset);
        return true;
    }

    /// <summary>qcow2_check_fix_snapshot_table: with -r all, any snapshot table corruption is fixed by rewriting the table.</summary>
    private void CheckFixSnapshotTable(CheckCounts result)
    {
        if (result.Corruptions == 0 || !FixErrors) return;
        if (!TryWriteSnapshots(out var error))
        {
            result.CheckErrors++;
            Report(QcowFindingCodes.SnapshotTableUnreadable, QcowFindingSeverity.Error, "ERROR failed to update snapshot table: " + error, 64);
            throw new CheckAbortedException(error);
        }
        result.CorruptionsFixed += result.Corruptions;
        result.Corruptions = 0;
    }

    /// <summary>The size of the extra data qemu 7.2 knows (vm_state_size_large, disk_size, icount) and always writes.</summary>
    private const int KnownExtraSize = 24;

    /// <summary>
    /// qcow2_write_snapshots: writes the in-memory table into newly allocated clusters, points the header
    /// at it, then frees the old table. Entries are written as qemu writes them: at least the 24 known
    /// bytes of extra data, names up to their first NUL.
    /// </summary>
    private bool TryWriteSnapshots(out string error)
    {
        error = string.Empty;
        ulong size = 0;
        foreach (var snapshot in _snapshots)
        {
            size = ((size + 7) & ~7UL) + QcowMasks.SnapshotHeaderSize + Math.Max(KnownExtraSize, snapshot.ExtraDataSize)
                + (ulong)snapshot.IdBytes.Length + (ulong)snapshot.NameBytes.Length;
            if (size > QcowMasks.MaxSnapshotsSize)
            {
                error = "File too large";
                return false;
            }
        }

        ulong newOffset;
        try
        {
            newOffset = AllocateClusters(size);
        }
        catch (CheckAbortedException ex)
        {
            error = ex.Message;
            return false;
        }
        _file.Flush();
        var overlap = CheckMetadataOverlap(Overlap.None, newOffset, size);
        if (overlap != Overlap.None)
        {
            SignalOverlap(new CheckCounts(), overlap, newOffset);
            FreeClusters(newOffset, size);
            error = "Input/output error";
            return false;
        }

        Report(QcowFindingCodes.SnapshotTableRewritten, QcowFindingSeverity.Info,
            $"Rewriting the snapshot table ({_snapshots.Count} snapshots, {size} bytes) at offset 0x{newOffset:x}", (long)newOffset);
        var offset = newOffset;
        var entry = new byte[QcowMasks.SnapshotHeaderSize + QcowMasks.MaxSnapshotExtraData];
        foreach (var snapshot in _snapshots)
        {
            offset = (offset + 7) & ~7UL;
            var extraSize = Math.Max(KnownExtraSize, (int)snapshot.ExtraDataSize);
            var span = entry.AsSpan(0, QcowMasks.SnapshotHeaderSize + extraSize);
            span.Clear();
            BinaryPrimitives.WriteUInt64BigEndian(span, snapshot.L1TableOffset);
            BinaryPrimitives.WriteUInt32BigEndian(span[8..], snapshot.L1Size);
            BinaryPrimitives.WriteUInt16BigEndian(span[12..], (ushort)snapshot.IdBytes.Length);
            BinaryPrimitives.WriteUInt16BigEndian(span[14..], (ushort)snapshot.NameBytes.Length);
            BinaryPrimitives.WriteUInt32BigEndian(span[16..], snapshot.DateSeconds);
            BinaryPrimitives.WriteUInt32BigEndian(span[20..], snapshot.DateNanoseconds);
            BinaryPrimitives.WriteUInt64BigEndian(span[24..], snapshot.VmClockNanoseconds);
            // A VM state that does not fit 32 bits makes older readers see a disk-only snapshot rather than a truncated one.
            if (snapshot.VmStateSize <= uint.MaxValue) BinaryPrimitives.WriteUInt32BigEndian(span[32..], (uint)snapshot.VmStateSize);
            BinaryPrimitives.WriteUInt32BigEndian(span[36..], (uint)extraSize);
            BinaryPrimitives.WriteUInt64BigEndian(span[40..], snapshot.VmStateSize);
            BinaryPrimitives.WriteUInt64BigEndian(span[48..], snapshot.DiskSize);
            BinaryPrimitives.WriteUInt64BigEndian(span[56..], snapshot.InstructionCount);
            if (extraSize > KnownExtraSize)
            {
                _file.Read(snapshot.UnknownExtraOffset, span[(QcowMasks.SnapshotHeaderSize + KnownExtraSize)..]);
            }
            _file.Write(offset, span);
            offset += (ulong)span.Length;
            _file.Write(offset, snapshot.IdBytes);
            offset += (ulong)snapshot.IdBytes.Length;
            _file.Write(offset, snapshot.NameBytes);
            offset += (ulong)snapshot.NameBytes.Length;
        }
        _file.Flush();

        Span<byte> pointer = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(pointer, (uint)_snapshots.Count);
        BinaryPrimitives.WriteUInt64BigEndian(pointer[4..], newOffset);
        _file.Write(60, pointer);
        _file.Flush();

        FreeClusters(_snapshotsOffset, (ulong)_snapshotsSize);
        _snapshotsOffset = newOffset;
        _snapshotsSize = (long)size;
        return true;
    }

    /// <summary>A C string's bytes: qemu keeps snapshot ids and names up to their first NUL.</summary>
    private static byte[] CString(byte[] bytes)
    {
        var nul = Array.IndexOf(bytes, (byte)0);
        return nul < 0 ? bytes : bytes[..nul];
    }
}
