using System.Buffers.Binary;
using System.Text;

namespace QcowKit.Check;

/// <summary>One snapshot table entry as the checker needs it.</summary>
internal sealed record SnapshotEntry(long EntryOffset, ulong L1TableOffset, uint L1Size, uint ExtraDataSize, string Id, string Name);

internal sealed partial class CheckSession
{
    /// <summary>qcow2_check_read_snapshot_table: reads the table in check mode; broken pointers are check errors.</summary>
    private void CheckReadSnapshotTable(CheckCounts result)
    {
        Span<byte> pointer = stackalloc byte[12];
        file.Read(60, pointer);
        var nbSnapshots = BinaryPrimitives.ReadUInt32BigEndian(pointer);
        snapshotsOffset = BinaryPrimitives.ReadUInt64BigEndian(pointer[4..]);
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
        else if (long.MaxValue - (long)nbSnapshots * QcowMasks.SnapshotHeaderSize < (long)Math.Min(snapshotsOffset, long.MaxValue)
                 || snapshotsOffset > long.MaxValue || g.OffsetIntoCluster(snapshotsOffset) != 0)
        {
            invalid = $"snapshot table offset invalid: 0x{snapshotsOffset:x} is not cluster aligned or too large";
        }
        if (invalid is not null)
        {
            result.CheckErrors++;
            Report(invalid.Contains("too large", StringComparison.Ordinal) ? QcowFindingCodes.TooManySnapshots : QcowFindingCodes.SnapshotTableInvalid,
                QcowFindingSeverity.Error, "ERROR " + invalid, invalid.Contains("too large", StringComparison.Ordinal) ? 60 : 64);
            snapshotsOffset = 0;
            throw new CheckAbortedException(invalid);
        }

        var extraDataDropped = 0;
        if (!TryReadSnapshots(nbSnapshots, FixErrors, ref nbClustersReduced, ref extraDataDropped, out var error))
        {
            result.CheckErrors++;
            Report(QcowFindingCodes.SnapshotTableUnreadable, QcowFindingSeverity.Error, "ERROR failed to read the snapshot table: " + error, (long)Math.Min(snapshotsOffset, long.MaxValue));
            snapshots = [];
            snapshotsOffset = 0;
            snapshotsSize = 0;
            throw new CheckAbortedException(error);
        }
        result.Corruptions += nbClustersReduced + extraDataDropped;
        if (nbClustersReduced != 0)
        {
            Span<byte> count = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(count, (uint)snapshots.Count);
            file.Write(60, count);
            result.CorruptionsFixed += nbClustersReduced;
            result.Corruptions -= nbClustersReduced;
        }

        if (g.Version >= 3)
        {
            for (var i = 0; i < snapshots.Count; i++)
            {
                if (snapshots[i].ExtraDataSize < 16)
                {
                    result.Corruptions++;
                    Report(QcowFindingCodes.SnapshotEntryIncomplete, QcowFindingSeverity.Error,
                        $"{(FixErrors ? "Repairing" : "ERROR")} snapshot table entry {i} is incomplete", snapshots[i].EntryOffset + 32);
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
            snapshots = list;
            snapshotsSize = 0;
            return true;
        }
        var offset = snapshotsOffset;
        ulong tableLength = 0;
        Span<byte> h = stackalloc byte[QcowMasks.SnapshotHeaderSize];
        for (var i = 0; i < count; i++)
        {
            var preOffset = offset;
            tableLength = (tableLength + 7) & ~7UL;
            offset = (offset + 7) & ~7UL;
            var entryOffset = offset;
            file.Read(offset, h);
            offset += QcowMasks.SnapshotHeaderSize;
            var l1Offset = BinaryPrimitives.ReadUInt64BigEndian(h);
            var l1Size = BinaryPrimitives.ReadUInt32BigEndian(h[8..]);
            var idSize = BinaryPrimitives.ReadUInt16BigEndian(h[12..]);
            var nameSize = BinaryPrimitives.ReadUInt16BigEndian(h[14..]);
            var extraSize = BinaryPrimitives.ReadUInt32BigEndian(h[36..]);
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
            }
            var keptExtra = Math.Min(extraSize, (uint)QcowMasks.MaxSnapshotExtraData);
            offset += extraSize;
            var idBytes = new byte[idSize];
            file.Read(offset, idBytes);
            offset += idSize;
            var nameBytes = new byte[nameSize];
            file.Read(offset, nameBytes);
            offset += nameSize;
            tableLength += (ulong)QcowMasks.SnapshotHeaderSize + keptExtra + idSize + nameSize;
            if (tableLength > QcowMasks.MaxSnapshotsSize || offset - snapshotsOffset > int.MaxValue)
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
                Encoding.UTF8.GetString(idBytes), Encoding.UTF8.GetString(nameBytes)));
        }
        snapshots = list;
        snapshotsSize = (long)(offset - snapshotsOffset);
        return true;
    }

    /// <summary>
    /// qcow2_check_fix_snapshot_table rewrites the whole table in newly allocated clusters. QcowKit does not
    /// allocate clusters during a repair, so such corruptions stay reported (not fixed) with a finding saying so.
    /// </summary>
    private void CheckFixSnapshotTable(CheckCounts result)
    {
        if (result.Corruptions != 0 && FixErrors)
        {
            Report(QcowFindingCodes.SnapshotTableUnreadable, QcowFindingSeverity.Error,
                "the snapshot table needs rewriting, which QcowKit's repair does not do; use qemu-img check -r all", (long)Math.Min(snapshotsOffset, long.MaxValue));
        }
    }
}
