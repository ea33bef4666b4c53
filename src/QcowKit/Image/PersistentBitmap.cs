using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image.Files;

namespace QcowKit.Image;

/// <summary>
/// The in-memory state of one persistent dirty bitmap that the writer tracks: its directory entry, its
/// bitmap table as loaded, and the data clusters changed since (sparse: only clusters with new bits are
/// held). Bit <c>n</c> covers guest bytes [n * granularity, (n + 1) * granularity); within a data cluster,
/// bit <c>n</c> is bit <c>n % 8</c> (least significant first) of byte <c>n / 8</c>.
/// </summary>
internal sealed class PersistentBitmap
{
    /// <summary>qemu's BME_MAX_TABLE_SIZE: the most bitmap table entries it loads.</summary>
    internal const uint MaxTableSize = 0x800_0000;

    private readonly HostFile _file;
    private readonly int _clusterSize;
    private readonly Dictionary<long, byte[]> _changed = [];

    private PersistentBitmap(HostFile file, BitmapDirectoryEntry entry, ulong[] table, long diskSize, int clusterSize)
    {
        _file = file;
        Entry = entry;
        Table = table;
        _clusterSize = clusterSize;
        DiskSize = diskSize;
    }

    internal BitmapDirectoryEntry Entry { get; }

    /// <summary>The bitmap table as on disk (host order); its length is the stored bitmap_table_size.</summary>
    internal ulong[] Table { get; }

    /// <summary>The guest size the bitmap describes now (changes on resize).</summary>
    internal long DiskSize { get; private set; }

    /// <summary>
    /// Table index from which the stored entries no longer count: a shrink dropped the bits they held, so a
    /// later grow must show zeros there rather than the old clusters.
    /// </summary>
    internal long DroppedFrom { get; private set; } = long.MaxValue;

    /// <summary>Data clusters with new content, by table index.</summary>
    internal IReadOnlyDictionary<long, byte[]> Changed => _changed;

    /// <summary>True when the stored form must be rewritten: bits were set, or the disk size changed the table size.</summary>
    internal bool NeedsStore => _changed.Count > 0 || DroppedFrom < Table.Length || TableSizeFor(DiskSize, Entry.GranularityBits, _clusterSize) != Table.Length;

    private long BitsPerCluster => (long)_clusterSize * 8;

    private long BitCount => BitCountFor(DiskSize, Entry.GranularityBits);

    internal static long BitCountFor(long diskSize, int granularityBits) => (diskSize + (1L << granularityBits) - 1) >> granularityBits;

    /// <summary>Entries of the bitmap table for a disk of <paramref name="diskSize"/> bytes (qemu's size_to_clusters of the serialized size).</summary>
    internal static long TableSizeFor(long diskSize, int granularityBits, int clusterSize)
    {
        var bytes = (BitCountFor(diskSize, granularityBits) + 7) / 8;
        return (bytes + clusterSize - 1) / clusterSize;
    }

    /// <summary>
    /// Loads a bitmap's table and checks it as qemu's load_bitmap does (size matching the disk, valid entries,
    /// everything inside the file), so that nothing is written to an image qemu would refuse to open.
    /// </summary>
    internal static PersistentBitmap Load(HostFile file, BitmapDirectoryEntry entry, long diskSize, int clusterSize, long fileLength)
    {
        var field = $"bitmap '{entry.Name}' bitmap_table";
        var expected = TableSizeFor(diskSize, entry.GranularityBits, clusterSize);
        if (entry.BitmapTableSize != expected)
        {
            throw new QcowFormatException(field + "_size", entry.FileOffset + 8,
                $"is {entry.BitmapTableSize} entries but a {diskSize}-byte disk at granularity {entry.Granularity} needs {expected} (qemu cannot read this bitmap)");
        }
        if (entry.BitmapTableSize > MaxTableSize)
        {
            throw new QcowFormatException(field + "_size", entry.FileOffset + 8, $"{entry.BitmapTableSize} entries exceed qemu's maximum of {MaxTableSize}");
        }
        var bytes = (long)entry.BitmapTableSize * 8;
        if (entry.BitmapTableOffset == 0 || (long)entry.BitmapTableOffset > fileLength - bytes)
        {
            throw new QcowFormatException(field + "_offset", entry.FileOffset,
                $"the table ({bytes} bytes at {entry.BitmapTableOffset}) does not lie inside the {fileLength}-byte file");
        }
        var raw = new byte[bytes];
        file.ReadPadded(raw, (long)entry.BitmapTableOffset);
        var table = new ulong[entry.BitmapTableSize];
        for (var i = 0; i < table.Length; i++)
        {
            var value = new BitmapTableEntry(BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(i * 8)));
            var at = (long)entry.BitmapTableOffset + (i * 8L);
            if (value.Problem(clusterSize) is { } problem)
            {
                throw new QcowFormatException($"bitmap '{entry.Name}' table entry {i}", at, problem);
            }
            if (value.DataOffset > fileLength - clusterSize)
            {
                throw new QcowFormatException($"bitmap '{entry.Name}' table entry {i}", at, $"data cluster {value.DataOffset} lies past the end of the {fileLength}-byte file");
            }
            table[i] = value.Raw;
        }
        return new PersistentBitmap(file, entry, table, diskSize, clusterSize);
    }

    /// <summary>Marks the guest range dirty.</summary>
    internal void SetDirty(long offset, long length)
    {
        if (length <= 0)
        {
            return;
        }
        var first = offset >> Entry.GranularityBits;
        var last = Math.Min((offset + length - 1) >> Entry.GranularityBits, BitCount - 1);
        while (first <= last)
        {
            var index = first / BitsPerCluster;
            var within = first % BitsPerCluster;
            var count = Math.Min(last - first + 1, BitsPerCluster - within);
            if (!StoredEntry(index).AllOnes || _changed.ContainsKey(index))
            {
                SetBits(ClusterForChange(index), within, count);
            }
            first += count;
        }
    }

    /// <summary>
    /// Follows a disk resize as qemu's bitmap truncation does: bits past the smaller of the old and new end
    /// are cleared (so a later grow shows zeros there), and the table gets the size the new disk needs.
    /// </summary>
    internal void Resize(long newDiskSize)
    {
        var keep = Math.Min(BitCount, BitCountFor(newDiskSize, Entry.GranularityBits));
        var index = keep / BitsPerCluster;
        var within = keep % BitsPerCluster;
        if (within != 0 && index < Table.Length)
        {
            var entry = StoredEntry(index);
            if (_changed.ContainsKey(index) || entry.DataOffset != 0 || entry.AllOnes)
            {
                ClearBits(ClusterForChange(index), within, BitsPerCluster - within);
            }
        }
        var dropFrom = (keep + BitsPerCluster - 1) / BitsPerCluster;
        foreach (var stale in _changed.Keys.Where(k => k >= dropFrom).ToList())
        {
            _changed.Remove(stale);
        }
        DroppedFrom = Math.Min(DroppedFrom, dropFrom);
        DiskSize = newDiskSize;
    }

    private BitmapTableEntry StoredEntry(long index) => index < Table.Length && index < DroppedFrom ? new BitmapTableEntry(Table[index]) : default;

    /// <summary>The changed copy of a data cluster, read from its stored form the first time.</summary>
    private byte[] ClusterForChange(long index)
    {
        if (_changed.TryGetValue(index, out var data))
        {
            return data;
        }
        data = new byte[_clusterSize];
        var entry = StoredEntry(index);
        if (entry.DataOffset != 0)
        {
            _file.ReadPadded(data, entry.DataOffset);
        }
        else if (entry.AllOnes)
        {
            Array.Fill(data, (byte)0xFF);
        }
        _changed[index] = data;
        return data;
    }

    private static void SetBits(byte[] data, long first, long count) => ChangeBits(data, first, count, set: true);

    private static void ClearBits(byte[] data, long first, long count) => ChangeBits(data, first, count, set: false);

    private static void ChangeBits(byte[] data, long first, long count, bool set)
    {
        var end = first + count;
        while (first < end)
        {
            var bit = (int)(first & 7);
            var n = (int)Math.Min(8 - bit, end - first);
            var mask = (byte)(((1 << n) - 1) << bit);
            var at = first >> 3;
            if (bit == 0 && n == 8 && end - first >= 64)
            {
                // Whole bytes in the middle of the range.
                var bytes = (int)((end - first) >> 3);
                data.AsSpan((int)at, bytes).Fill(set ? (byte)0xFF : (byte)0);
                first += (long)bytes << 3;
                continue;
            }
            data[at] = set ? (byte)(data[at] | mask) : (byte)(data[at] & ~mask);
            first += n;
        }
    }
}
