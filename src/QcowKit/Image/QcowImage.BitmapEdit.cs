using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image.Writing;

namespace QcowKit.Image;

/// <summary>Reading a bitmap's bits and replacing the whole bitmap directory (for <c>qemu-img bitmap</c>).</summary>
public sealed partial class QcowImage
{
    /// <summary>
    /// The bits of a stored bitmap, checked as qemu's load_bitmap checks them: whole clusters (the table's size in
    /// clusters), all-ones entries expanded.
    /// </summary>
    internal byte[] ReadBitmapBits(BitmapDirectoryEntry entry)
    {
        var clusterSize = Header.ClusterSize;
        var loaded = PersistentBitmap.Load(ImageFile, entry, VirtualSize, clusterSize, FileLength);
        var bits = new byte[loaded.Table.Length * (long)clusterSize];
        for (var i = 0; i < loaded.Table.Length; i++)
        {
            var value = new BitmapTableEntry(loaded.Table[i]);
            var cluster = bits.AsSpan(i * clusterSize, clusterSize);
            if (value.DataOffset != 0)
            {
                ImageFile.ReadPadded(cluster, value.DataOffset);
            }
            else if (value.AllOnes)
            {
                cluster.Fill(0xFF);
            }
        }
        return bits;
    }

    /// <summary>
    /// Replaces the bitmap directory with <paramref name="bitmaps"/>, ordered so that an interruption at any point
    /// leaves a valid image (at worst leaking clusters): new data clusters and tables first, then a new directory in
    /// new clusters, flushed, then the header cluster switched to it (the bitmaps autoclear bit set exactly when
    /// bitmaps remain), flushed, and only then the replaced tables, data clusters and the old directory freed.
    /// </summary>
    internal void ReplaceBitmaps(IReadOnlyList<BitmapReplacement> bitmaps)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!Options.Writable)
            {
                throw new InvalidOperationException($"'{FileName}' was opened read-only; open it with QcowOpenOptions.Access = FileAccess.ReadWrite to write.");
            }
            EnsureAllocator();
            var clusterSize = Header.ClusterSize;
            var released = new List<long>();
            var entries = new List<BitmapDirectoryEntry>(bitmaps.Count);
            foreach (var bitmap in bitmaps)
            {
                var entry = new BitmapDirectoryEntry
                {
                    Name = bitmap.Name,
                    GranularityBits = bitmap.GranularityBits,
                    Flags = bitmap.Flags,
                    ExtraData = bitmap.Keep?.ExtraData ?? [],
                };
                if (bitmap.Bits is null && bitmap.Keep is { } keep)
                {
                    entry.BitmapTableOffset = keep.BitmapTableOffset;
                    entry.BitmapTableSize = keep.BitmapTableSize;
                }
                else
                {
                    WriteBitmapTable(entry, bitmap.Bits ?? []);
                    if (bitmap.Keep is { } replaced)
                    {
                        CollectBitmapClusters(replaced, released);
                    }
                }
                entries.Add(entry);
            }
            foreach (var removed in BitmapEntries.Where(old => bitmaps.All(b => !ReferenceEquals(b.Keep, old))))
            {
                CollectBitmapClusters(removed, released);
            }
            if (Header.Bitmaps is { } oldExtension)
            {
                var oldClusters = ((long)oldExtension.BitmapDirectorySize + clusterSize - 1) / clusterSize;
                for (var c = 0L; c < oldClusters; c++)
                {
                    released.Add((long)oldExtension.BitmapDirectoryOffset + (c * clusterSize));
                }
            }
            BitmapsExtension? extension = null;
            if (entries.Count > 0)
            {
                var directory = new byte[entries.Sum(e => (long)e.EncodedSize)];
                var at = 0;
                foreach (var entry in entries)
                {
                    at += entry.Write(directory.AsSpan(at));
                }
                var directoryOffset = _allocator!.Allocate((directory.Length + clusterSize - 1) / clusterSize);
                HostIo.Write(ImageFile, directory, directoryOffset, Options.WriteObserver);
                extension = new BitmapsExtension((uint)entries.Count, (ulong)directory.Length, (ulong)directoryOffset);
            }
            HostIo.Flush(ImageFile, Options.WriteObserver);

            Header.Bitmaps = extension;
            Header.AutoclearFeatures = extension is null
                ? Header.AutoclearFeatures & ~AutoclearFeatures.Bitmaps
                : Header.AutoclearFeatures | AutoclearFeatures.Bitmaps;
            Header.RefcountTableOffset = (ulong)_allocator!.TableOffset;
            Header.RefcountTableClusters = (uint)_allocator.TableClusters;
            var cluster = Header.ToCluster();
            HostIo.Write(ImageFile, cluster, 0, Options.WriteObserver);
            HostIo.Flush(ImageFile, Options.WriteObserver);

            foreach (var offset in released)
            {
                Unref(offset);
            }
            HostIo.Flush(ImageFile, Options.WriteObserver);
            BitmapEntries = entries;
            RefreshBitmapInfo();
        }
    }

    /// <summary>Stores <paramref name="bits"/> as qemu's store_bitmap does: clusters of zeros get no data cluster.</summary>
    private void WriteBitmapTable(BitmapDirectoryEntry entry, byte[] bits)
    {
        var clusterSize = Header.ClusterSize;
        var size = PersistentBitmap.TableSizeFor(VirtualSize, entry.GranularityBits, clusterSize);
        var usedBytes = (PersistentBitmap.BitCountFor(VirtualSize, entry.GranularityBits) + 7) / 8;
        var tableBytes = new byte[size * 8];
        var data = new byte[clusterSize];
        for (var i = 0; i < size; i++)
        {
            data.AsSpan().Clear();
            var start = i * (long)clusterSize;
            var length = (int)Math.Max(0, Math.Min(clusterSize, Math.Min(bits.Length, usedBytes) - start));
            if (length > 0)
            {
                bits.AsSpan((int)start, length).CopyTo(data);
            }
            if (start + clusterSize > usedBytes && usedBytes > start)
            {
                // Bits past the disk's end stay zero, as qemu serializes them.
                var bitCount = PersistentBitmap.BitCountFor(VirtualSize, entry.GranularityBits);
                var lastBit = bitCount - (start * 8);
                if (lastBit % 8 != 0)
                {
                    data[(int)(lastBit / 8)] &= (byte)((1 << (int)(lastBit % 8)) - 1);
                }
            }
            if (data.AsSpan().ContainsAnyExcept((byte)0))
            {
                var at = _allocator!.Allocate(1);
                HostIo.Write(ImageFile, data, at, Options.WriteObserver);
                BinaryPrimitives.WriteUInt64BigEndian(tableBytes.AsSpan(i * 8), BitmapTableEntry.ForData(at).Raw);
            }
        }
        var tableOffset = _allocator!.Allocate((tableBytes.Length + clusterSize - 1) / clusterSize);
        HostIo.Write(ImageFile, tableBytes, tableOffset, Options.WriteObserver);
        entry.BitmapTableOffset = (ulong)tableOffset;
        entry.BitmapTableSize = (uint)size;
    }

    /// <summary>
    /// The clusters a stored bitmap owns (its data clusters and table), as qemu's free_bitmap_clusters frees them;
    /// a table that does not lie inside the file (an inconsistent bitmap may have any) is left alone: a leak, never a wrong free.
    /// </summary>
    private void CollectBitmapClusters(BitmapDirectoryEntry entry, List<long> released)
    {
        var clusterSize = Header.ClusterSize;
        var bytes = (long)entry.BitmapTableSize * 8;
        var offset = (long)entry.BitmapTableOffset;
        if (offset == 0 || bytes == 0 || entry.BitmapTableSize > PersistentBitmap.MaxTableSize || offset > FileLength - bytes)
        {
            return;
        }
        var raw = new byte[bytes];
        ImageFile.ReadPadded(raw, offset);
        for (var i = 0; i < entry.BitmapTableSize; i++)
        {
            var value = new BitmapTableEntry(BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(i * 8)));
            if (value.DataOffset != 0 && value.Problem(clusterSize) is null && value.DataOffset <= FileLength - clusterSize)
            {
                released.Add(value.DataOffset);
            }
        }
        var clusters = (bytes + clusterSize - 1) / clusterSize;
        for (var c = 0L; c < clusters; c++)
        {
            released.Add(offset + (c * clusterSize));
        }
    }
}
