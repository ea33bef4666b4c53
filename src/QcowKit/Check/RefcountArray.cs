using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using QcowKit.Format;

namespace QcowKit.Check;

/// <summary>
/// Refcounts of a run of clusters in the on-disk refcount block format (entries of 2^order bits,
/// big-endian, sub-byte entries from the least significant bit), so that a rebuilt refcount block
/// is a slice of it. Used for the counts the checker computes from the metadata and, by qemu's
/// rebuild algorithm, as the allocation map of the rebuilt structures.
/// </summary>
internal sealed class RefcountArray : IDisposable
{
    private readonly int _order;
    private readonly int _clusterSize;
    private readonly long _maxBytes;
    private readonly ulong _maxRefcount;
    private ZeroedMemory _memory;

    /// <param name="order">refcount_order, 0..6.</param>
    /// <param name="clusterSize">Growth unit, as qemu's realloc_refcount_array.</param>
    /// <param name="entries">Initial number of entries.</param>
    /// <param name="maxBytes">Largest size the array may grow to; beyond it growth fails like an allocation failure.</param>
    public RefcountArray(int order, int clusterSize, long entries, long maxBytes)
    {
        _order = order;
        _clusterSize = clusterSize;
        _maxBytes = maxBytes;
        _maxRefcount = RefcountBlock.MaxRefcount(_order);
        _memory = new ZeroedMemory(0);
        if (!TryResize(entries))
        {
            _memory.Dispose();
            throw new InsufficientMemoryException($"{entries} refcounts exceed the checker's memory bound of {_maxBytes} bytes.");
        }
    }

    /// <summary>Number of entries (qemu's refcount_table_size / nb_clusters).</summary>
    public long Size { get; private set; }

    public ulong this[long index]
    {
        get => index < Size ? Get(_memory.Span, index, _order) : 0;
        set => Set(_memory.Span, index, _order, value);
    }

    /// <summary>
    /// Adds <paramref name="times"/> to entry <paramref name="index"/> (which must be below <see cref="Size"/>), stopping at
    /// the largest refcount the width holds; returns how much was added. The checker calls this once per reference it counts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong AddSaturating(long index, ulong times, out ulong updated)
    {
        // 16-bit entries are the default refcount width: one big-endian read and write, no dispatch on the width.
        if (_order != 4) return AddSaturatingAnyWidth(index, times, out updated);
        var entry = _memory.Span.Slice(checked((int)(index * 2)), 2);
        var value = BinaryPrimitives.ReadUInt16BigEndian(entry);
        var added = Math.Min(times, ushort.MaxValue - (ulong)value);
        updated = value + added;
        BinaryPrimitives.WriteUInt16BigEndian(entry, (ushort)updated);
        return added;
    }

    private ulong AddSaturatingAnyWidth(long index, ulong times, out ulong updated)
    {
        var data = _memory.Span;
        var current = Get(data, index, _order);
        var room = _maxRefcount - current;
        var applied = times <= room ? times : room;
        updated = current + applied;
        if (applied != 0) Set(data, index, _order, updated);
        return applied;
    }

    /// <summary>Grows to <paramref name="entries"/> entries, zero-filled, the byte size rounded up to whole clusters.</summary>
    public bool TryResize(long entries)
    {
        var bytes = ((entries << _order) + 7) / 8;
        var rounded = (bytes + _clusterSize - 1) / _clusterSize * _clusterSize;
        if (rounded > _maxBytes || rounded > Array.MaxLength) return false;
        if (rounded > _memory.Length)
        {
            var grown = new ZeroedMemory((int)rounded);
            _memory.Span.CopyTo(grown.Span);
            _memory.Dispose();
            _memory = grown;
        }
        Size = entries;
        return true;
    }

    /// <summary>The bytes holding entries from <paramref name="firstEntry"/> on (whose first bit starts a byte).</summary>
    public ReadOnlySpan<byte> Bytes(long firstEntry, int byteCount) => _memory.Span.Slice(checked((int)((firstEntry << _order) >> 3)), byteCount);

    /// <summary>The bytes of refcount block <paramref name="blockIndex"/> (one cluster).</summary>
    public ReadOnlySpan<byte> Block(long blockIndex) => Bytes(RefcountBlock.EntriesPerBlock(_clusterSize, _order) * blockIndex, _clusterSize);

    public void Clear() => _memory.Span.Clear();

    public void Dispose() => _memory.Dispose();

    /// <summary>Reads entry <paramref name="index"/> of a refcount block or array in on-disk format.</summary>
    public static ulong Get(ReadOnlySpan<byte> block, long index, int order) => RefcountBlock.Get(block, index, order);

    /// <summary>Writes entry <paramref name="index"/> of a refcount block or array in on-disk format.</summary>
    public static void Set(Span<byte> block, long index, int order, ulong value) => RefcountBlock.Set(block, index, order, value);
}
