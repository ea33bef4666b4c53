using System.Buffers.Binary;

namespace QcowKit.Tests.Amend;

/// <summary>A poke_file-style edit of a qemu-made image: its snapshot table entry as qemu before 1.1 wrote it.</summary>
internal static class LegacySnapshotTable
{
    /// <summary>
    /// Rewrites the only snapshot table entry without extra data (no vm_state_size_large, no disk_size). The entry
    /// shrinks, so it still fits where it is.
    /// </summary>
    public static void DropExtraData(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var header = new byte[72];
        RandomAccess.Read(file, header, 0);
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(60)), Is.EqualTo(1u), "one snapshot expected");
        var offset = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(64));
        var entry = new byte[1024];
        RandomAccess.Read(file, entry, offset);
        var extra = (int)BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(36));
        var idSize = BinaryPrimitives.ReadUInt16BigEndian(entry.AsSpan(12));
        var nameSize = BinaryPrimitives.ReadUInt16BigEndian(entry.AsSpan(14));
        var rewritten = new byte[40 + idSize + nameSize];
        entry.AsSpan(0, 40).CopyTo(rewritten);
        BinaryPrimitives.WriteUInt32BigEndian(rewritten.AsSpan(36), 0);
        entry.AsSpan(40 + extra, idSize + nameSize).CopyTo(rewritten.AsSpan(40));
        RandomAccess.Write(file, rewritten, offset);
    }
}
