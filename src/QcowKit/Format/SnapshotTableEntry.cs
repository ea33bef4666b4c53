using System.Buffers.Binary;
using System.Text;
using QcowKit.Image.Files;

namespace QcowKit.Format;

/// <summary>
/// One entry of the internal snapshot table: a 40-byte header, extra data (vm_state_size_large,
/// disk_size, icount, then bytes kept for rewrites), the id string and the name, padded to 8 bytes.
/// </summary>
internal sealed class SnapshotTableEntry
{
    internal ulong L1TableOffset { get; set; }
    internal uint L1Size { get; set; }
    internal string Id { get; set; } = string.Empty;
    internal string Name { get; set; } = string.Empty;
    internal uint DateSeconds { get; set; }
    internal uint DateNanoseconds { get; set; }
    internal ulong VmClockNanoseconds { get; set; }
    internal uint VmStateSize { get; set; }

    /// <summary>vm_state_size_large when the extra data holds it, else null.</summary>
    internal ulong? VmStateSizeLarge { get; set; }

    /// <summary>disk_size (virtual size at snapshot time) when the extra data holds it, else null.</summary>
    internal ulong? DiskSize { get; set; }

    /// <summary>icount when the extra data holds it and it is not -1, else null.</summary>
    internal long? Icount { get; set; }

    /// <summary>Extra data past the three known fields, kept for rewrites.</summary>
    internal byte[] UnknownExtraData { get; set; } = [];

    /// <summary>File offset of the entry, or -1.</summary>
    internal long FileOffset { get; set; } = -1;

    /// <summary>The VM state size in bytes (the 64-bit field when present).</summary>
    internal ulong EffectiveVmStateSize => VmStateSizeLarge ?? VmStateSize;

    /// <summary>extra_data_size this entry is written with.</summary>
    internal int ExtraDataSize => 24 + UnknownExtraData.Length;

    /// <summary>Bytes the entry occupies, including padding to 8.</summary>
    internal int EncodedSize =>
        (QcowLimits.SnapshotHeaderSize + ExtraDataSize + Encoding.UTF8.GetByteCount(Id) + Encoding.UTF8.GetByteCount(Name) + 7) & ~7;

    /// <summary>
    /// Reads the whole snapshot table, validating as qemu's qcow2_read_snapshots does, and for writers
    /// against <paramref name="fileLength"/>; without it (readers, as qemu) the table reads as zeros past the
    /// end of the file. Memory is bounded by qemu's per-entry and whole-table limits.
    /// </summary>
    internal static List<SnapshotTableEntry> ReadTable(HostFile file, long? fileLength, ulong tableOffset, uint count)
    {
        var entries = new List<SnapshotTableEntry>((int)Math.Min(count, 1024u));
        var offset = (long)tableOffset;
        Span<byte> header = stackalloc byte[QcowLimits.SnapshotHeaderSize];
        for (var i = 0; i < count; i++)
        {
            offset = (offset + 7) & ~7L;
            if (offset + QcowLimits.SnapshotHeaderSize > fileLength)
            {
                throw new QcowFormatException($"snapshot table entry {i}", offset, $"runs past the end of the file ({fileLength} bytes)");
            }
            file.ReadPadded(header, offset);
            var entry = new SnapshotTableEntry
            {
                FileOffset = offset,
                L1TableOffset = BinaryPrimitives.ReadUInt64BigEndian(header),
                L1Size = BinaryPrimitives.ReadUInt32BigEndian(header[8..]),
                DateSeconds = BinaryPrimitives.ReadUInt32BigEndian(header[16..]),
                DateNanoseconds = BinaryPrimitives.ReadUInt32BigEndian(header[20..]),
                VmClockNanoseconds = BinaryPrimitives.ReadUInt64BigEndian(header[24..]),
                VmStateSize = BinaryPrimitives.ReadUInt32BigEndian(header[32..]),
            };
            var idSize = BinaryPrimitives.ReadUInt16BigEndian(header[12..]);
            var nameSize = BinaryPrimitives.ReadUInt16BigEndian(header[14..]);
            var extraSize = BinaryPrimitives.ReadUInt32BigEndian(header[36..]);
            if (extraSize > QcowLimits.MaxSnapshotExtraData)
            {
                throw new QcowFormatException("extra_data_size", offset + 36, $"{extraSize} bytes of extra data in snapshot table entry {i} exceed the limit of {QcowLimits.MaxSnapshotExtraData}");
            }
            var variable = QcowLimits.SnapshotHeaderSize + extraSize + idSize + nameSize;
            if (offset + variable > fileLength)
            {
                throw new QcowFormatException($"snapshot table entry {i}", offset, $"its {variable} bytes run past the end of the file ({fileLength} bytes)");
            }
            var body = new byte[extraSize + idSize + nameSize];
            file.ReadPadded(body, offset + QcowLimits.SnapshotHeaderSize);
            var extra = body.AsSpan(0, (int)extraSize);
            if (extra.Length >= 8)
            {
                entry.VmStateSizeLarge = BinaryPrimitives.ReadUInt64BigEndian(extra);
            }
            if (extra.Length >= 16)
            {
                entry.DiskSize = BinaryPrimitives.ReadUInt64BigEndian(extra[8..]);
            }
            if (extra.Length >= 24)
            {
                var icount = BinaryPrimitives.ReadInt64BigEndian(extra[16..]);
                entry.Icount = icount == -1 ? null : icount;
                entry.UnknownExtraData = extra[24..].ToArray();
            }
            entry.Id = Encoding.UTF8.GetString(body, (int)extraSize, idSize);
            entry.Name = Encoding.UTF8.GetString(body, (int)extraSize + idSize, nameSize);
            offset += variable;
            if (offset - (long)tableOffset > QcowLimits.MaxSnapshotTableBytes)
            {
                throw new QcowFormatException("snapshots_offset", HeaderFieldOffsets.SnapshotsOffset, $"the snapshot table exceeds the maximum size of {QcowLimits.MaxSnapshotTableBytes} bytes");
            }
            entries.Add(entry);
        }
        return entries;
    }

    /// <summary>Writes the entry (with 24 bytes of known extra data) and returns its padded size.</summary>
    internal int Write(Span<byte> destination)
    {
        var size = EncodedSize;
        var target = destination[..size];
        target.Clear();
        var id = Encoding.UTF8.GetBytes(Id);
        var name = Encoding.UTF8.GetBytes(Name);
        if (id.Length > ushort.MaxValue || name.Length > ushort.MaxValue)
        {
            throw new InvalidOperationException("Snapshot id and name must be shorter than 65536 bytes.");
        }
        BinaryPrimitives.WriteUInt64BigEndian(target, L1TableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(target[8..], L1Size);
        BinaryPrimitives.WriteUInt16BigEndian(target[12..], (ushort)id.Length);
        BinaryPrimitives.WriteUInt16BigEndian(target[14..], (ushort)name.Length);
        BinaryPrimitives.WriteUInt32BigEndian(target[16..], DateSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(target[20..], DateNanoseconds);
        BinaryPrimitives.WriteUInt64BigEndian(target[24..], VmClockNanoseconds);
        BinaryPrimitives.WriteUInt32BigEndian(target[32..], VmStateSize);
        BinaryPrimitives.WriteUInt32BigEndian(target[36..], (uint)ExtraDataSize);
        var extra = target[QcowLimits.SnapshotHeaderSize..];
        BinaryPrimitives.WriteUInt64BigEndian(extra, VmStateSizeLarge ?? VmStateSize);
        BinaryPrimitives.WriteUInt64BigEndian(extra[8..], DiskSize ?? 0);
        BinaryPrimitives.WriteInt64BigEndian(extra[16..], Icount ?? -1);
        UnknownExtraData.CopyTo(extra[24..]);
        var at = QcowLimits.SnapshotHeaderSize + ExtraDataSize;
        id.CopyTo(target[at..]);
        name.CopyTo(target[(at + id.Length)..]);
        return size;
    }
}
