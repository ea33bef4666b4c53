using System.Buffers.Binary;
using QcowKit.Format;

namespace QcowKit.Amend;

/// <summary>
/// Version 3 requires every snapshot table entry to hold vm_state_size_large and disk_size in its extra data;
/// version 2 entries may lack them. As qemu's upgrade does, an old table is written anew (with the disk size
/// taken as the current one, as qemu assumes when reading such an entry), the header is switched to it in one
/// write, and only then is the old table freed.
/// </summary>
internal static class SnapshotTableUpgrade
{
    /// <summary>Extra data bytes that v3 needs: vm_state_size_large and disk_size.</summary>
    private const int RequiredExtraData = 16;

    public static void Run(AmendFile file, QcowHeader h)
    {
        if (h.NbSnapshots == 0)
        {
            return;
        }
        var entries = SnapshotTableEntry.ReadTable(file.Handle, file.Length, h.SnapshotsOffset, h.NbSnapshots);
        Span<byte> entryHeader = stackalloc byte[QcowLimits.SnapshotHeaderSize];
        var needsRewrite = false;
        var oldEnd = (long)h.SnapshotsOffset;
        foreach (var entry in entries)
        {
            file.Handle.ReadPadded(entryHeader, entry.FileOffset);
            var extra = BinaryPrimitives.ReadUInt32BigEndian(entryHeader[36..]);
            var idSize = BinaryPrimitives.ReadUInt16BigEndian(entryHeader[12..]);
            var nameSize = BinaryPrimitives.ReadUInt16BigEndian(entryHeader[14..]);
            oldEnd = entry.FileOffset + QcowLimits.SnapshotHeaderSize + extra + idSize + nameSize;
            needsRewrite |= extra < RequiredExtraData;
        }
        if (!needsRewrite)
        {
            return;
        }
        foreach (var entry in entries)
        {
            entry.VmStateSizeLarge ??= entry.VmStateSize;
            entry.DiskSize ??= h.Size;
        }
        var size = entries.Sum(e => (long)e.EncodedSize);
        if (size > QcowLimits.MaxSnapshotTableBytes)
        {
            throw new QcowOptionsException("Failed to update the snapshot table: it would exceed qemu's size limit");
        }
        var allocator = file.OpenAllocator(h);
        var newOffset = allocator.Allocate((size + h.ClusterSize - 1) >> h.ClusterBits);
        var buffer = new byte[size];
        var at = 0;
        foreach (var entry in entries)
        {
            at += entry.Write(buffer.AsSpan(at));
        }
        file.Handle.Write(buffer, newOffset);
        file.Flush();
        file.Reached("new snapshot table written");
        Span<byte> fields = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(fields, (uint)entries.Count);
        BinaryPrimitives.WriteUInt64BigEndian(fields[4..], (ulong)newOffset);
        file.Handle.Write(fields, HeaderFieldOffsets.NbSnapshots);
        file.Flush();
        file.Reached("snapshot table switched");
        var oldStart = (long)h.SnapshotsOffset & ~h.ClusterOffsetMask;
        for (var cluster = oldStart; cluster < oldEnd; cluster += h.ClusterSize)
        {
            allocator.Update(cluster, -1);
        }
        file.Flush();
        file.Reached("old snapshot table freed");
    }
}
