using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image;
using QcowKit.Image.Writing;
using QcowKit.Image.Locking;
using QcowKit.Image.Files;

namespace QcowKit.Amend;

/// <summary>
/// The image file while an amend step runs: the handle, the header as it is on disk now, and the refcount
/// allocator. Every step reads the header afresh, because the allocator may move the refcount table.
/// </summary>
internal sealed class AmendFile : IDisposable
{
    private readonly Action<string>? _checkpoint;

    private AmendFile(string path, HostFile handle, Action<string>? checkpoint)
    {
        Path = path;
        Handle = handle;
        _checkpoint = checkpoint;
    }

    public string Path { get; }

    public HostFile Handle { get; }

    public long Length => Handle.Length;

    /// <param name="path">The image.</param>
    /// <param name="checkpoint">Called at every point where the file is consistent on disk (tests stop there to model a crash).</param>
    public static AmendFile Open(string path, Action<string>? checkpoint = null)
    {
        var handle = LockedFile.Open(path, path, FileAccess.ReadWrite, ImageLockMode.Write);
        return new AmendFile(path, new HandleHostFile(handle), checkpoint);
    }

    /// <summary>Everything written so far is flushed and the image is consistent (at worst leaking).</summary>
    public void Reached(string point) => _checkpoint?.Invoke(point);

    public QcowHeader ReadHeader() => QcowHeader.Read(Handle, Length, QcowHeaderRules.Write);

    /// <summary>A refcount allocator over the structures the header on disk names now.</summary>
    public RefcountAllocator OpenAllocator(QcowHeader header) =>
        RefcountAllocator.Open(Handle, header.ClusterBits, header.RefcountOrder, (long)header.RefcountTableOffset, (int)header.RefcountTableClusters);

    /// <summary>
    /// Serializes the header into a whole cluster and writes it at offset 0, then flushes. qemu leaves the feature
    /// name table out when it does not fit; so does this.
    /// </summary>
    public void WriteHeader(QcowHeader header)
    {
        var cluster = header.ToCluster();
        Handle.FlushToDisk();
        Handle.Write(cluster, 0);
        Handle.FlushToDisk();
        Reached("header written");
    }

    /// <summary>Reads <paramref name="entries"/> big-endian 64-bit entries at <paramref name="offset"/> (zeros past the end of the file).</summary>
    public ulong[] ReadTable(long offset, long entries)
    {
        var bytes = new byte[entries * 8];
        Handle.ReadPadded(bytes, offset);
        var table = new ulong[entries];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
        }
        return table;
    }

    public void WriteTable(ulong[] table, long offset)
    {
        var bytes = new byte[table.Length * 8L];
        for (var i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), table[i]);
        }
        Handle.Write(bytes, offset);
    }

    /// <summary>The L1 tables to visit: the active one, then every snapshot's (qemu's order).</summary>
    public List<(long Offset, uint Size, string Owner)> L1Tables(QcowHeader header)
    {
        var tables = new List<(long, uint, string)> { ((long)header.L1TableOffset, header.L1Size, "active L1 table") };
        var snapshots = SnapshotTableEntry.ReadTable(Handle, Length, header.SnapshotsOffset, header.NbSnapshots);
        foreach (var snapshot in snapshots)
        {
            if ((long)snapshot.L1Size * 8 > QcowLimits.MaxL1SizeBytes || (snapshot.L1TableOffset & (ulong)header.ClusterOffsetMask) != 0)
            {
                throw new QcowFormatException("l1_table_offset", snapshot.FileOffset,
                    $"snapshot '{snapshot.Name}' has an L1 table ({snapshot.L1Size} entries at {snapshot.L1TableOffset}) that is unaligned or too large");
            }
            tables.Add(((long)snapshot.L1TableOffset, snapshot.L1Size, $"L1 table of snapshot '{snapshot.Name}'"));
        }
        return tables;
    }

    public void Flush() => Handle.FlushToDisk();

    public void Dispose() => Handle.Dispose();
}
