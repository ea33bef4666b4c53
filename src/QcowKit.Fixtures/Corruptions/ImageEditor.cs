using System.Buffers.Binary;
using QcowKit.Compression;
using QcowKit.Format;

namespace QcowKit.Fixtures.Corruptions;

/// <summary>A guest cluster as the built file maps it: where its L2 entry is and what it says.</summary>
internal readonly record struct MappedCluster(long GuestCluster, long L1EntryOffset, long L2TableOffset, long L2EntryOffset, ulong Entry, ulong Bitmap)
{
    internal bool IsCompressed => (Entry & L2Entry.CompressedFlag) != 0;

    internal long HostOffset => (long)(Entry & L2Entry.OffsetMask);
}

/// <summary>
/// Finds structures in a built image by parsing it (header with the engine's parser, then L1, L2 and
/// refcount tables) and edits them in place. Corruptions are written against this view, never against
/// the composer's layout, so they stay correct whatever layout produced the file.
/// </summary>
internal sealed class ImageEditor
{
    internal ImageEditor(byte[] image, GuestBytes guest)
    {
        Image = image;
        Guest = guest;
        Header = QcowHeader.Parse(image, image.Length);
    }

    /// <summary>The file's bytes; corruptions may replace the array (truncation, growth).</summary>
    internal byte[] Image { get; set; }

    /// <summary>What the guest should read after the corruption; corruptions that change it say how.</summary>
    internal GuestBytes Guest { get; }

    /// <summary>The header as parsed before any edit.</summary>
    internal QcowHeader Header { get; }

    internal int ClusterSize => Header.ClusterSize;

    internal ulong U64(long offset) => BinaryPrimitives.ReadUInt64BigEndian(Image.AsSpan((int)offset));

    internal uint U32(long offset) => BinaryPrimitives.ReadUInt32BigEndian(Image.AsSpan((int)offset));

    internal void SetU64(long offset, ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Image.AsSpan((int)offset), value);

    internal void SetU32(long offset, uint value) => BinaryPrimitives.WriteUInt32BigEndian(Image.AsSpan((int)offset), value);

    internal void SetU16(long offset, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Image.AsSpan((int)offset), value);

    /// <summary>File offset of active L1 entry <paramref name="index"/>.</summary>
    internal long L1EntryOffset(int index) => (long)Header.L1TableOffset + (index * 8L);

    /// <summary>Every guest cluster with a non-zero L2 entry, in guest order.</summary>
    internal List<MappedCluster> MappedClusters()
    {
        var result = new List<MappedCluster>();
        var entrySize = Header.L2EntrySize;
        for (var i = 0; i < Header.L1Size; i++)
        {
            var l1 = new L1Entry(U64(L1EntryOffset(i)));
            if (l1.L2TableOffset == 0)
            {
                continue;
            }
            for (var e = 0; e < Header.L2Entries; e++)
            {
                var at = l1.L2TableOffset + ((long)e * entrySize);
                var raw = U64(at);
                var bitmap = Header.HasExtendedL2 ? U64(at + 8) : 0;
                if (raw != 0 || bitmap != 0)
                {
                    result.Add(new MappedCluster(((long)i * Header.L2Entries) + e, L1EntryOffset(i), l1.L2TableOffset, at, raw, bitmap));
                }
            }
        }
        return result;
    }

    /// <summary>Guest clusters with a standard (uncompressed) host cluster.</summary>
    internal List<MappedCluster> DataClusters() =>
        [.. MappedClusters().Where(m => !m.IsCompressed && m.HostOffset != 0 && (m.Entry & L2Entry.ZeroFlag) == 0)];

    internal List<MappedCluster> CompressedClusters() => [.. MappedClusters().Where(m => m.IsCompressed)];

    /// <summary>The first data cluster; throws when the image has none (the corruption needs one).</summary>
    internal MappedCluster FirstData(string corruption) =>
        DataClusters().FirstOrDefault() is { L2EntryOffset: > 0 } m ? m : throw NotApplicable(corruption, "a data cluster");

    /// <summary>Active L1 entries that point at an L2 table.</summary>
    internal List<(int Index, long EntryOffset, long L2Offset)> L2Tables()
    {
        var result = new List<(int, long, long)>();
        for (var i = 0; i < Header.L1Size; i++)
        {
            var l1 = new L1Entry(U64(L1EntryOffset(i)));
            if (l1.L2TableOffset != 0)
            {
                result.Add((i, L1EntryOffset(i), l1.L2TableOffset));
            }
        }
        return result;
    }

    /// <summary>File offset of the refcount block that covers host cluster <paramref name="cluster"/>.</summary>
    internal long RefcountBlockFor(long cluster)
    {
        var entriesPerBlock = Header.RefcountBlockEntries;
        var tableEntry = new RefcountTableEntry(U64((long)Header.RefcountTableOffset + ((cluster / entriesPerBlock) * 8)));
        return tableEntry.RefcountBlockOffset;
    }

    internal ulong GetRefcount(long hostOffset)
    {
        var cluster = hostOffset / ClusterSize;
        var block = RefcountBlockFor(cluster);
        return RefcountBlock.Get(Image.AsSpan((int)block, ClusterSize), cluster % Header.RefcountBlockEntries, Header.RefcountOrder);
    }

    internal void SetRefcount(long hostOffset, ulong value)
    {
        var cluster = hostOffset / ClusterSize;
        var block = RefcountBlockFor(cluster);
        RefcountBlock.Set(Image.AsSpan((int)block, ClusterSize), cluster % Header.RefcountBlockEntries, Header.RefcountOrder, value);
    }

    /// <summary>Appends one cluster of <paramref name="fill"/> bytes and returns its offset; the refcount table is not touched.</summary>
    internal long AppendCluster(byte fill = 0)
    {
        var offset = Image.Length;
        var grown = new byte[Image.Length + ClusterSize];
        Image.CopyTo(grown, 0);
        grown.AsSpan(offset).Fill(fill);
        Image = grown;
        return offset;
    }

    internal void Truncate(long length) => Image = Image.AsSpan(0, (int)length).ToArray();

    /// <summary>File offset of the first snapshot table entry; throws when there is none.</summary>
    internal long FirstSnapshotEntry(string corruption) =>
        Header.NbSnapshots > 0 ? (long)Header.SnapshotsOffset : throw NotApplicable(corruption, "an internal snapshot");

    /// <summary>File offset of the first bitmap directory entry; throws when there is none.</summary>
    internal long FirstBitmapEntry(string corruption) =>
        Header.Bitmaps is { } b ? (long)b.BitmapDirectoryOffset : throw NotApplicable(corruption, "a persistent bitmap");

    /// <summary>File offset of the bitmaps header extension's body.</summary>
    internal long BitmapsExtensionBody(string corruption) => ExtensionBody(HeaderExtensionType.Bitmaps) ?? throw NotApplicable(corruption, "a persistent bitmap");

    /// <summary>File offset of the first header extension of <paramref name="type"/>'s body, or null.</summary>
    internal long? ExtensionBody(HeaderExtensionType type)
    {
        var offset = (long)Header.HeaderLength;
        var end = Header.BackingFileOffset != 0 ? (long)Header.BackingFileOffset : ClusterSize;
        while (offset + 8 <= end)
        {
            var magic = U32(offset);
            var length = U32(offset + 4);
            if (magic == (uint)type)
            {
                return offset + 8;
            }
            if (magic == 0)
            {
                return null;
            }
            offset += 8 + ((length + 7) & ~7u);
        }
        return null;
    }

    /// <summary>File offset of the first header extension (its type field).</summary>
    internal long FirstExtension => (long)Header.HeaderLength;

    internal static ArgumentException NotApplicable(string corruption, string needs) =>
        new($"Corruption {corruption} needs an image with {needs}; choose options that produce one.");

    /// <summary>Bytes at a host offset as qemu reads them: zeros past the end of the file.</summary>
    internal byte[] HostBytes(long offset, int length)
    {
        var bytes = new byte[length];
        if (offset < Image.Length)
        {
            Image.AsSpan((int)offset, (int)Math.Min(length, Image.Length - offset)).CopyTo(bytes);
        }
        return bytes;
    }

    /// <summary>Records that guest cluster <paramref name="m"/> now reads its allocated (sub)clusters from <paramref name="newHost"/>.</summary>
    internal void GuestReadsFrom(MappedCluster m, long newHost)
    {
        var guest = m.GuestCluster * ClusterSize;
        var host = HostBytes(newHost, ClusterSize);
        if (!Header.HasExtendedL2)
        {
            Guest.Show(guest, host);
            return;
        }
        var sub = Header.SubclusterSize;
        for (var s = 0; s < QcowLimits.SubclustersPerCluster; s++)
        {
            if (L2Entry.SubclusterAllocated(m.Bitmap, s))
            {
                Guest.Show(guest + ((long)s * sub), host.AsSpan(s * sub, sub));
            }
        }
    }

    /// <summary>Records that guest cluster <paramref name="m"/> is now unallocated.</summary>
    internal void GuestUnmapped(MappedCluster m) => Guest.ShowBacking(m.GuestCluster * ClusterSize, ClusterSize);

    /// <summary>
    /// Records what the guest reads once active L1 entry <paramref name="l1Index"/> holds <paramref name="l1Raw"/>:
    /// qemu masks the entry's offset, reads the L2 table there (zeros past the end of the file) and
    /// classifies each entry; an unaligned table or an invalid entry makes the guest unreadable.
    /// </summary>
    internal void GuestFollowsL1Entry(int l1Index, ulong l1Raw)
    {
        var tableOffset = new L1Entry(l1Raw).L2TableOffset;
        var first = (long)l1Index * Header.L2Entries;
        var guestClusters = (Header.Size + (ulong)ClusterSize - 1) / (ulong)ClusterSize;
        if (tableOffset != 0 && tableOffset % ClusterSize != 0)
        {
            Guest.MarkUnreadable();
            return;
        }
        var table = tableOffset == 0 ? new byte[ClusterSize] : HostBytes(tableOffset, ClusterSize);
        var entrySize = Header.L2EntrySize;
        var sub = Header.SubclusterSize;
        for (var e = 0; e < Header.L2Entries && (ulong)(first + e) < guestClusters; e++)
        {
            var entry = new L2Entry(
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(e * entrySize)),
                Header.HasExtendedL2 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan((e * entrySize) + 8)) : 0);
            var guest = (first + e) * ClusterSize;
            for (var s = 0; s < Header.SubclustersPerCluster; s++)
            {
                var at = guest + ((long)s * sub);
                var type = entry.Classify(s, Header.HasExtendedL2, Header.HasExternalDataFile);
                // qemu fails the read of any host-backed entry whose offset is not cluster aligned, even a zero one
                // that reads no host bytes, and of a zero flag in a version 2 image.
                var hostBacked = type is SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.UnallocatedAlloc;
                if ((hostBacked && entry.HostOffset % ClusterSize != 0)
                    || (Header.Version == 2 && type is SubclusterType.ZeroPlain or SubclusterType.ZeroAlloc))
                {
                    Guest.MarkUnreadable();
                    return;
                }
                switch (type)
                {
                    case SubclusterType.Compressed when s == 0:
                        if (!Inflate(entry, guest))
                        {
                            Guest.MarkUnreadable();
                            return;
                        }
                        break;
                    case SubclusterType.Compressed:
                        // The whole cluster was shown with its first subcluster.
                        break;
                    case SubclusterType.Normal:
                        Guest.Show(at, HostBytes(entry.HostOffset + ((long)s * sub), sub));
                        break;
                    case SubclusterType.ZeroPlain:
                    case SubclusterType.ZeroAlloc:
                        Guest.Show(at, new byte[sub]);
                        break;
                    case SubclusterType.UnallocatedPlain:
                    case SubclusterType.UnallocatedAlloc:
                        Guest.ShowBacking(at, sub);
                        break;
                    default:
                        // An invalid entry makes qemu fail the read.
                        Guest.MarkUnreadable();
                        return;
                }
            }
        }
    }

    /// <summary>Shows the compressed cluster <paramref name="entry"/> describes at guest offset <paramref name="guest"/>, as qemu inflates it.</summary>
    /// <returns>False when qemu's decompression fails on those bytes.</returns>
    private bool Inflate(L2Entry entry, long guest)
    {
        var descriptor = entry.Compressed(Header.ClusterBits);
        var cluster = new byte[ClusterSize];
        using var decompressor = new ClusterDecompressor(Header.CompressionType);
        if (decompressor.Decompress(HostBytes(descriptor.HostOffset, descriptor.CompressedSize), cluster) is not null)
        {
            return false;
        }
        Guest.Show(guest, cluster);
        return true;
    }
}
