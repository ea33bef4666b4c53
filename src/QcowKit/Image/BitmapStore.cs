using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image.Writing;
using QcowKit.Image.Files;

namespace QcowKit.Image;

/// <summary>
/// Keeps an image's persistent dirty bitmaps right while the writer changes the image, the way qemu's
/// qcow2-bitmap.c does: before the first change every enabled (auto) bitmap is marked in_use on disk,
/// guest writes set bits in memory, and on close the changed bitmaps are stored in new clusters, the
/// directory is switched to them with in_use cleared, and the old clusters are freed. A bitmap already
/// in_use when the image was opened is inconsistent: it is left exactly as it is (qemu neither loads nor
/// stores it) and a resize is refused, as in qemu. Disabled bitmaps are only touched by a resize.
/// </summary>
internal sealed class BitmapStore
{
    private readonly HostFile _file;
    private readonly IHostWriteObserver? _observer;
    private readonly QcowHeader _header;
    private readonly IReadOnlyList<BitmapDirectoryEntry> _entries;
    private readonly int _clusterSize;
    private readonly List<PersistentBitmap> _tracked = [];
    private readonly HashSet<BitmapDirectoryEntry> _inconsistent = [];

    private BitmapStore(HostFile file, IHostWriteObserver? observer, QcowHeader header, IReadOnlyList<BitmapDirectoryEntry> entries)
    {
        _file = file;
        _observer = observer;
        _header = header;
        _entries = entries;
        _clusterSize = header.ClusterSize;
        foreach (var entry in entries.Where(e => (e.Flags & BitmapFlags.InUse) != 0))
        {
            _inconsistent.Add(entry);
        }
    }

    /// <summary>
    /// Loads the enabled, consistent bitmaps and marks them in_use on disk, so that an image whose writer dies
    /// before <see cref="Store"/> shows them as inconsistent rather than silently missing the new writes.
    /// </summary>
    internal static BitmapStore Activate(HostFile file, IHostWriteObserver? observer, QcowHeader header, IReadOnlyList<BitmapDirectoryEntry> entries, long diskSize, long fileLength)
    {
        var store = new BitmapStore(file, observer, header, entries);
        var enabled = entries.Where(e => (e.Flags & (BitmapFlags.InUse | BitmapFlags.Auto)) == BitmapFlags.Auto).ToList();
        store.Track(enabled, diskSize, fileLength);
        return store;
    }

    /// <summary>True when no enabled bitmap needs dirty bits (the hooks can skip the work).</summary>
    internal bool IsIdle => _tracked.Count == 0;

    /// <summary>Marks a guest range dirty in every enabled bitmap the store tracks.</summary>
    internal void SetDirty(long offset, long length)
    {
        foreach (var bitmap in _tracked)
        {
            if ((bitmap.Entry.Flags & BitmapFlags.Auto) != 0)
            {
                bitmap.SetDirty(offset, length);
            }
        }
    }

    /// <summary>
    /// Before a resize: refuses when a bitmap is inconsistent (qemu's qcow2_truncate_bitmaps_check), then loads
    /// the disabled bitmaps as well and marks them in_use, because their stored table no longer fits the disk
    /// until <see cref="Store"/> rewrites it.
    /// </summary>
    /// <exception cref="InvalidOperationException">A bitmap is inconsistent (in_use when the image was opened).</exception>
    internal void PrepareResize(long diskSize, long fileLength)
    {
        if (_inconsistent.FirstOrDefault() is { } bad)
        {
            throw new InvalidOperationException($"Bitmap '{bad.Name}' is inconsistent and cannot be used");
        }
        var untracked = _entries.Where(e => _tracked.All(t => !ReferenceEquals(t.Entry, e))).ToList();
        Track(untracked, diskSize, fileLength);
    }

    /// <summary>Follows a new disk size (after <see cref="PrepareResize"/>).</summary>
    internal void Resize(long diskSize)
    {
        foreach (var bitmap in _tracked)
        {
            bitmap.Resize(diskSize);
        }
    }

    /// <summary>
    /// Stores the tracked bitmaps as qemu's qcow2_store_persistent_dirty_bitmaps does: changed data clusters and
    /// a new table go to newly allocated clusters (nothing stored is overwritten), then the directory is
    /// rewritten in place with in_use cleared (under a cleared autoclear bit, as qemu does, so a torn write
    /// leaves bitmaps qemu ignores, never wrong ones), and last the replaced clusters are freed.
    /// </summary>
    /// <param name="allocator">The image's cluster allocator.</param>
    /// <param name="free">Drops one reference to a host cluster.</param>
    internal void Store(RefcountAllocator allocator, Action<long> free)
    {
        if (_tracked.Count == 0)
        {
            return;
        }
        var released = new List<long>();
        foreach (var bitmap in _tracked)
        {
            if (bitmap.NeedsStore)
            {
                StoreTable(bitmap, allocator, released);
            }
            bitmap.Entry.Flags &= ~BitmapFlags.InUse;
        }
        HostIo.Flush(_file, _observer);
        WriteDirectory();
        foreach (var offset in released)
        {
            free(offset);
        }
        _tracked.Clear();
    }

    private void Track(List<BitmapDirectoryEntry> entries, long diskSize, long fileLength)
    {
        if (entries.Count == 0)
        {
            return;
        }
        // Load (and so validate) every bitmap before anything is written.
        var loaded = entries.Select(e => PersistentBitmap.Load(_file, e, diskSize, _clusterSize, fileLength)).ToList();
        foreach (var bitmap in loaded)
        {
            bitmap.Entry.Flags |= BitmapFlags.InUse;
        }
        _tracked.AddRange(loaded);
        WriteDirectory();
    }

    private void StoreTable(PersistentBitmap bitmap, RefcountAllocator allocator, List<long> released)
    {
        var old = bitmap.Table;
        var size = PersistentBitmap.TableSizeFor(bitmap.DiskSize, bitmap.Entry.GranularityBits, _clusterSize);
        var table = new ulong[size];
        var kept = Math.Min(Math.Min(old.Length, size), bitmap.DroppedFrom);
        Array.Copy(old, table, kept);
        for (var i = kept; i < old.Length; i++)
        {
            if (new BitmapTableEntry(old[i]).DataOffset is var dropped and not 0)
            {
                released.Add(dropped);
            }
        }
        foreach (var (index, data) in bitmap.Changed.OrderBy(c => c.Key))
        {
            var at = allocator.Allocate(1);
            HostIo.Write(_file, data, at, _observer);
            if (index < old.Length && new BitmapTableEntry(old[index]).DataOffset is var replaced and not 0)
            {
                released.Add(replaced);
            }
            table[index] = BitmapTableEntry.ForData(at).Raw;
        }
        var bytes = new byte[size * 8];
        for (var i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), table[i]);
        }
        var tableOffset = allocator.Allocate((bytes.Length + _clusterSize - 1) / _clusterSize);
        HostIo.Write(_file, bytes, tableOffset, _observer);
        var oldClusters = (((long)old.Length * 8) + _clusterSize - 1) / _clusterSize;
        for (var c = 0L; c < oldClusters; c++)
        {
            released.Add((long)bitmap.Entry.BitmapTableOffset + (c * _clusterSize));
        }
        bitmap.Entry.BitmapTableOffset = (ulong)tableOffset;
        bitmap.Entry.BitmapTableSize = (uint)size;
    }

    /// <summary>
    /// Rewrites the directory in place as qemu's update_ext_header_and_dir_in_place: the bitmaps autoclear bit
    /// is cleared (and flushed) first, so that qemu ignores the bitmaps should the write tear, then the
    /// directory is written and flushed, then the bit is set again.
    /// </summary>
    private void WriteDirectory()
    {
        var extension = _header.Bitmaps!.Value;
        var size = _entries.Sum(e => (long)e.EncodedSize);
        if (size != (long)extension.BitmapDirectorySize)
        {
            throw new QcowFormatException("bitmap_directory_size", -1, $"the directory's {_entries.Count} entries take {size} bytes, not {extension.BitmapDirectorySize}");
        }
        var directory = new byte[size];
        var at = 0;
        foreach (var entry in _entries)
        {
            at += entry.Write(directory.AsSpan(at));
        }
        WriteAutoclear(_header.AutoclearFeatures & ~AutoclearFeatures.Bitmaps);
        HostIo.Write(_file, directory, (long)extension.BitmapDirectoryOffset, _observer);
        HostIo.Flush(_file, _observer);
        WriteAutoclear(_header.AutoclearFeatures | AutoclearFeatures.Bitmaps);
    }

    private void WriteAutoclear(AutoclearFeatures features)
    {
        Span<byte> field = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(field, (ulong)features);
        HostIo.Write(_file, field, HeaderFieldOffsets.AutoclearFeatures, _observer);
        HostIo.Flush(_file, _observer);
        _header.AutoclearFeatures = features;
    }
}
