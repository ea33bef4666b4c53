using System.Buffers.Binary;

namespace QcowKit.Image.Writing;

/// <summary>
/// Reads and writes one entry of a refcount block for refcount_order 0..6. Entries narrower than a byte
/// are packed from the least significant bit, as qemu packs them; wider ones are big-endian.
/// </summary>
internal static class RefcountEntryCodec
{
    public static ulong Get(ReadOnlySpan<byte> block, int order, long index)
    {
        switch (order)
        {
            case 0:
            case 1:
            case 2:
                {
                    var bits = 1 << order;
                    var bitIndex = index * bits;
                    var value = block[(int)(bitIndex >> 3)] >> (int)(bitIndex & 7);
                    return (ulong)(value & ((1 << bits) - 1));
                }
            case 3: return block[(int)index];
            case 4: return BinaryPrimitives.ReadUInt16BigEndian(block[(int)(index * 2)..]);
            case 5: return BinaryPrimitives.ReadUInt32BigEndian(block[(int)(index * 4)..]);
            case 6: return BinaryPrimitives.ReadUInt64BigEndian(block[(int)(index * 8)..]);
            default: throw new ArgumentOutOfRangeException(nameof(order), order, "refcount_order must be 0..6");
        }
    }

    /// <summary>Stores <paramref name="value"/>; returns the byte range of the block that changed (offset, length).</summary>
    public static (int Offset, int Length) Set(Span<byte> block, int order, long index, ulong value)
    {
        switch (order)
        {
            case 0:
            case 1:
            case 2:
                {
                    var bits = 1 << order;
                    var bitIndex = index * bits;
                    var byteIndex = (int)(bitIndex >> 3);
                    var shift = (int)(bitIndex & 7);
                    var mask = ((1 << bits) - 1) << shift;
                    block[byteIndex] = (byte)((block[byteIndex] & ~mask) | (((int)value << shift) & mask));
                    return (byteIndex, 1);
                }
            case 3:
                block[(int)index] = (byte)value;
                return ((int)index, 1);
            case 4:
                BinaryPrimitives.WriteUInt16BigEndian(block[(int)(index * 2)..], (ushort)value);
                return ((int)(index * 2), 2);
            case 5:
                BinaryPrimitives.WriteUInt32BigEndian(block[(int)(index * 4)..], (uint)value);
                return ((int)(index * 4), 4);
            case 6:
                BinaryPrimitives.WriteUInt64BigEndian(block[(int)(index * 8)..], value);
                return ((int)(index * 8), 8);
            default: throw new ArgumentOutOfRangeException(nameof(order), order, "refcount_order must be 0..6");
        }
    }

    /// <summary>The largest refcount an entry of this order holds.</summary>
    public static ulong MaxValue(int order) => order == 6 ? ulong.MaxValue : (1UL << (1 << order)) - 1;
}
