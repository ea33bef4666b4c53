using System.Buffers.Binary;

namespace QcowKit.TestSupport;

/// <summary>
/// Precise byte edits on qemu-made images (as qemu-iotests' poke_file does), independent of the
/// engine under test: it walks the header, L1/L2 and refcount structures with its own few reads.
/// </summary>
public static class QcowByteEdits
{
    /// <summary>Host offset of the data cluster that backs guest offset 0 (it must be allocated, uncompressed).</summary>
    public static long FirstDataClusterOffset(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var l1Offset = (long)ReadU64(file, 40);
        var l2Offset = (long)(ReadU64(file, l1Offset) & 0x00ff_ffff_ffff_fe00UL);
        if (l2Offset == 0) throw new InvalidOperationException($"{path}: guest cluster 0 has no L2 table");
        var data = (long)(ReadU64(file, l2Offset) & 0x00ff_ffff_ffff_fe00UL);
        if (data == 0) throw new InvalidOperationException($"{path}: guest cluster 0 is not allocated");
        return data;
    }

    /// <summary>File offset of the L2 entry that maps guest offset 0 (its table must exist).</summary>
    public static long FirstL2EntryOffset(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var l1Offset = (long)ReadU64(file, 40);
        var l2Offset = (long)(ReadU64(file, l1Offset) & 0x00ff_ffff_ffff_fe00UL);
        if (l2Offset == 0) throw new InvalidOperationException($"{path}: guest cluster 0 has no L2 table");
        return l2Offset;
    }

    /// <summary>Sets the refcount of the cluster at <paramref name="hostOffset"/> (16-bit refcounts, the qemu default).</summary>
    public static void SetRefcount(string path, long hostOffset, ushort refcount)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var header = new byte[104];
        RandomAccess.Read(file, header, 0);
        var clusterBits = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(20));
        var version = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        var refcountOrder = version >= 3 ? BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(96)) : 4;
        if (refcountOrder != 4) throw new NotSupportedException($"{path}: refcount_order {refcountOrder}, only 16-bit refcounts are edited here");
        var tableOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(48));
        var cluster = hostOffset >> clusterBits;
        var entriesPerBlock = (1L << clusterBits) / 2;
        var block = (long)(ReadU64(file, tableOffset + (cluster / entriesPerBlock * 8)) & ~0x1ffUL);
        var entry = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(entry, refcount);
        RandomAccess.Write(file, entry, block + (cluster % entriesPerBlock * 2));
    }

    /// <summary>
    /// Makes an image that only leaks, as qemu-iotests do: one cluster is appended to the file and given
    /// refcount 1 with nothing referencing it. (Raising a referenced cluster's refcount would also make its
    /// COPIED flag wrong, which qemu counts as a corruption.)
    /// </summary>
    public static void MakeLeak(string path)
    {
        int clusterBits;
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
        {
            Span<byte> field = stackalloc byte[4];
            RandomAccess.Read(file, field, 20);
            clusterBits = BinaryPrimitives.ReadInt32BigEndian(field);
        }
        var clusterSize = 1L << clusterBits;
        long leaked;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            leaked = (stream.Length + clusterSize - 1) / clusterSize * clusterSize;
            stream.SetLength(leaked + clusterSize);
        }
        SetRefcount(path, leaked, 1);
    }

    /// <summary>Makes a corrupt image: the first data cluster is referenced but its refcount is 0.</summary>
    public static void MakeRefcountZero(string path) => SetRefcount(path, FirstDataClusterOffset(path), 0);

    /// <summary>
    /// Garbles the stream of the <paramref name="nth"/> (from 0) compressed cluster that the first L2 table maps,
    /// so that it no longer inflates, and returns the stream's host offset (what the descriptor holds).
    /// </summary>
    public static long GarbleCompressedStream(string path, int nth)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        Span<byte> field = stackalloc byte[4];
        RandomAccess.Read(file, field, 20);
        var clusterBits = BinaryPrimitives.ReadInt32BigEndian(field);
        var l2Offset = FirstL2EntryOffset(path);
        // The descriptor's host offset has 62 - (cluster_bits - 8) bits; bit 62 marks a compressed cluster.
        var offsetMask = (1UL << (62 - (clusterBits - 8))) - 1;
        var found = 0;
        for (var index = 0L; index < (1L << clusterBits) / 8; index++)
        {
            var entry = ReadU64(file, l2Offset + (index * 8));
            if ((entry >> 62 & 1) == 0 || found++ < nth) continue;
            var stream = (long)(entry & offsetMask);
            RandomAccess.Write(file, Enumerable.Repeat((byte)0xff, 64).ToArray(), stream);
            return stream;
        }
        throw new InvalidOperationException($"{path}: the first L2 table maps {found} compressed clusters, not {nth + 1}");
    }

    /// <summary>Overwrites bytes at an offset (e.g. a header field).</summary>
    public static void Poke(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        RandomAccess.Write(file, bytes, offset);
    }

    private static ulong ReadU64(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset)
    {
        Span<byte> buffer = stackalloc byte[8];
        if (RandomAccess.Read(file, buffer, offset) != 8) throw new EndOfStreamException($"no 8 bytes at offset {offset}");
        return BinaryPrimitives.ReadUInt64BigEndian(buffer);
    }
}
