using System.Buffers.Binary;

namespace QcowKit.Tests.Check;

/// <summary>
/// Precise byte edits on a qemu-made image for the corruption corpus: reads the header and the
/// L1/L2/refcount locations straight from the file so that a test can say "set the refcount of the
/// first data cluster to 0" instead of hard-coding offsets. Test-only; deliberately independent of
/// the engine's parser so that the corpus does not depend on the code it tests.
/// </summary>
internal sealed class QcowFileEditor : IDisposable
{
    private readonly FileStream _stream;

    public QcowFileEditor(string path)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
    }

    public int Version => (int)U32(4);
    public int ClusterBits => (int)U32(20);
    public int ClusterSize => 1 << ClusterBits;
    public ulong L1Offset => U64(40);
    public uint L1Size => U32(36);
    public ulong RefcountTableOffset => U64(48);
    public int RefcountOrder => Version >= 3 ? (int)U32(96) : 4;
    public ulong SnapshotsOffset => U64(64);
    public bool ExtendedL2 => Version >= 3 && (U64(72) & (1UL << 4)) != 0;
    public int L2EntrySize => ExtendedL2 ? 16 : 8;
    public long Length => _stream.Length;

    public ulong U64(ulong offset)
    {
        Span<byte> b = stackalloc byte[8];
        _stream.Position = (long)offset;
        _stream.ReadExactly(b);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    public uint U32(ulong offset)
    {
        Span<byte> b = stackalloc byte[4];
        _stream.Position = (long)offset;
        _stream.ReadExactly(b);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    public void SetU64(ulong offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        _stream.Position = (long)offset;
        _stream.Write(b);
    }

    public void SetU32(ulong offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        _stream.Position = (long)offset;
        _stream.Write(b);
    }

    public void SetU16(ulong offset, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        _stream.Position = (long)offset;
        _stream.Write(b);
    }

    public void SetLength(long length) => _stream.SetLength(length);

    /// <summary>File offset of active L1 entry <paramref name="index"/>.</summary>
    public ulong L1EntryOffset(int index) => L1Offset + (ulong)index * 8;

    public ulong L1Entry(int index) => U64(L1EntryOffset(index));

    /// <summary>Offset of the L2 table that L1 entry <paramref name="l1Index"/> points at.</summary>
    public ulong L2TableOffset(int l1Index) => L1Entry(l1Index) & 0x00fffffffffffe00UL;

    /// <summary>File offset of entry <paramref name="l2Index"/> in the L2 table of L1 entry <paramref name="l1Index"/>.</summary>
    public ulong L2EntryOffset(int l1Index, int l2Index) => L2TableOffset(l1Index) + (ulong)(l2Index * L2EntrySize);

    public ulong L2Entry(int l1Index, int l2Index) => U64(L2EntryOffset(l1Index, l2Index));

    /// <summary>Host offset of the data cluster of guest cluster <paramref name="l2Index"/> under L1 entry 0.</summary>
    public ulong DataClusterOffset(int l2Index, int l1Index = 0) => L2Entry(l1Index, l2Index) & 0x00fffffffffffe00UL;

    public ulong RefcountTableEntryOffset(int index) => RefcountTableOffset + (ulong)index * 8;

    public ulong RefcountBlockOffset(int index) => U64(RefcountTableEntryOffset(index)) & ~0x1ffUL;

    /// <summary>Sets the on-disk refcount of the cluster at host offset <paramref name="hostOffset"/> (refcount order 4 or 0..6 by byte edits).</summary>
    public void SetRefcount(ulong hostOffset, ulong refcount)
    {
        var cluster = hostOffset >> ClusterBits;
        var blockBits = ClusterBits + 3 - RefcountOrder;
        var block = RefcountBlockOffset((int)(cluster >> blockBits));
        var index = cluster & ((1UL << blockBits) - 1);
        var bits = 1 << RefcountOrder;
        if (bits >= 8)
        {
            var at = block + index * (ulong)(bits / 8);
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(b, refcount);
            _stream.Position = (long)at;
            _stream.Write(b[(8 - bits / 8)..]);
            return;
        }
        var perByte = 8 / bits;
        var byteOffset = block + index / (ulong)perByte;
        _stream.Position = (long)byteOffset;
        var value = _stream.ReadByte();
        var shift = (int)(index % (ulong)perByte) * bits;
        var mask = ((1 << bits) - 1) << shift;
        value = (value & ~mask) | (((int)refcount << shift) & mask);
        _stream.Position = (long)byteOffset;
        _stream.WriteByte((byte)value);
    }

    public void Dispose() => _stream.Dispose();
}
