using QcowKit.Format;

namespace QcowKit.Check;

/// <summary>
/// Refcounts of a run of clusters in the on-disk refcount block format (entries of 2^order bits,
/// big-endian, sub-byte entries from the least significant bit), so that a rebuilt refcount block
/// is a slice of it. Used for the counts the checker computes from the metadata and, by qemu's
/// rebuild algorithm, as the allocation map of the rebuilt structures.
/// </summary>
internal sealed class RefcountArray
{
    private readonly int order;
    private readonly int clusterSize;
    private readonly long maxBytes;
    private byte[] data;

    /// <param name="order">refcount_order, 0..6.</param>
    /// <param name="clusterSize">Growth unit, as qemu's realloc_refcount_array.</param>
    /// <param name="entries">Initial number of entries.</param>
    /// <param name="maxBytes">Largest size the array may grow to; beyond it growth fails like an allocation failure.</param>
    public RefcountArray(int order, int clusterSize, long entries, long maxBytes)
    {
        this.order = order;
        this.clusterSize = clusterSize;
        this.maxBytes = maxBytes;
        data = [];
        if (!TryResize(entries))
        {
            throw new InsufficientMemoryException($"{entries} refcounts exceed the checker's memory bound of {maxBytes} bytes.");
        }
    }

    /// <summary>Number of entries (qemu's refcount_table_size / nb_clusters).</summary>
    public long Size { get; private set; }

    public ulong this[long index]
    {
        get => index < Size ? Get(data, index, order) : 0;
        set => Set(data, index, order, value);
    }

    /// <summary>Grows to <paramref name="entries"/> entries, zero-filled, the byte size rounded up to whole clusters.</summary>
    public bool TryResize(long entries)
    {
        var bytes = ((entries << order) + 7) / 8;
        var rounded = (bytes + clusterSize - 1) / clusterSize * clusterSize;
        if (rounded > maxBytes || rounded > Array.MaxLength) return false;
        if (rounded > data.Length)
        {
            Array.Resize(ref data, (int)rounded);
        }
        Size = entries;
        return true;
    }

    /// <summary>The bytes of refcount block <paramref name="blockIndex"/> (one cluster).</summary>
    public ReadOnlySpan<byte> Block(long blockIndex) => data.AsSpan(checked((int)(blockIndex * clusterSize)), clusterSize);

    public void Clear() => Array.Clear(data);

    /// <summary>Reads entry <paramref name="index"/> of a refcount block or array in on-disk format.</summary>
    public static ulong Get(ReadOnlySpan<byte> block, long index, int order) => RefcountBlock.Get(block, index, order);

    /// <summary>Writes entry <paramref name="index"/> of a refcount block or array in on-disk format.</summary>
    public static void Set(Span<byte> block, long index, int order, ulong value) => RefcountBlock.Set(block, index, order, value);
}
