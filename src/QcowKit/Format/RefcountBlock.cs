using System.Buffers.Binary;

namespace QcowKit.Format;

/// <summary>
/// Access to entries of a refcount block, whose width is 2^refcount_order bits (1..64). Entries
/// narrower than a byte are packed starting at the least significant bit, as qemu does; wider ones
/// are big-endian.
/// </summary>
public static class RefcountBlock
{
    /// <summary>Largest refcount an entry of this order can hold.</summary>
    public static ulong MaxRefcount(int refcountOrder) => refcountOrder == 6 ? ulong.MaxValue : (1UL << (1 << refcountOrder)) - 1;

    /// <summary>Entries in a block of <paramref name="blockBytes"/> bytes.</summary>
    public static long EntriesPerBlock(int blockBytes, int refcountOrder) => (long)blockBytes * 8 >> refcountOrder;

    /// <summary>Reads entry <paramref name="index"/> of a refcount block.</summary>
    /// <param name="block">The block (one cluster).</param>
    /// <param name="index">Entry index within the block.</param>
    /// <param name="refcountOrder">The image's refcount_order (0..6).</param>
    public static ulong Get(ReadOnlySpan<byte> block, long index, int refcountOrder)
    {
        switch (refcountOrder)
        {
            case 0:
            case 1:
            case 2:
                {
                    var bits = 1 << refcountOrder;
                    var bitIndex = index * bits;
                    var value = block[(int)(bitIndex >> 3)] >> (int)(bitIndex & 7);
                    return (ulong)(value & ((1 << bits) - 1));
                }
            case 3:
                return block[(int)index];
            case 4:
                return BinaryPrimitives.ReadUInt16BigEndian(block[(int)(index * 2)..]);
            case 5:
                return BinaryPrimitives.ReadUInt32BigEndian(block[(int)(index * 4)..]);
            case 6:
                return BinaryPrimitives.ReadUInt64BigEndian(block[(int)(index * 8)..]);
            default:
                throw new ArgumentOutOfRangeException(nameof(refcountOrder), refcountOrder, "refcount_order must be 0..6");
        }
    }

    /// <summary>Writes entry <paramref name="index"/> of a refcount block.</summary>
    /// <param name="block">The block (one cluster).</param>
    /// <param name="index">Entry index within the block.</param>
    /// <param name="refcountOrder">The image's refcount_order (0..6).</param>
    /// <param name="value">The refcount; at most <see cref="MaxRefcount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value does not fit the width.</exception>
    public static void Set(Span<byte> block, long index, int refcountOrder, ulong value)
    {
        if (value > MaxRefcount(refcountOrder))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"a refcount of {1 << refcountOrder} bits cannot hold it");
        }
        switch (refcountOrder)
        {
            case 0:
            case 1:
            case 2:
                {
                    var bits = 1 << refcountOrder;
                    var bitIndex = index * bits;
                    var shift = (int)(bitIndex & 7);
                    var mask = ((1 << bits) - 1) << shift;
                    ref var target = ref block[(int)(bitIndex >> 3)];
                    target = (byte)((target & ~mask) | ((int)value << shift));
                    break;
                }
            case 3:
                block[(int)index] = (byte)value;
                break;
            case 4:
                BinaryPrimitives.WriteUInt16BigEndian(block[(int)(index * 2)..], (ushort)value);
                break;
            case 5:
                BinaryPrimitives.WriteUInt32BigEndian(block[(int)(index * 4)..], (uint)value);
                break;
            case 6:
                BinaryPrimitives.WriteUInt64BigEndian(block[(int)(index * 8)..], value);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(refcountOrder), refcountOrder, "refcount_order must be 0..6");
        }
    }
}
