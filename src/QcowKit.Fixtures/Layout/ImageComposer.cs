using System.Buffers.Binary;
using QcowKit.Compression;
using QcowKit.Format;

namespace QcowKit.Fixtures.Layout;

/// <summary>The files a composition produced.</summary>
internal sealed record ComposedImage(byte[] Image, byte[]? DataFile);

/// <summary>Names the header stores for the companion files.</summary>
internal sealed record CompanionNames(string? BackingFile, string? BackingFormat, string? DataFile);

/// <summary>
/// Serializes a fully known guest plan into one qcow2 file in a single pass, encoding every structure
/// with the engine's Format types. It is not an image writer: nothing is opened, grown or rewritten;
/// the whole layout is computed first (header, refcount table, refcount blocks, L1, L2 tables, data,
/// packed compressed streams, bitmap directory, tables and data, in that order) and the refcounts are
/// counted from that layout, so the result is exact and deterministic. Internal snapshots are not laid
/// out here: the engine adds them afterwards (<see cref="WriterBase.AddSnapshots"/>).
/// </summary>
internal static class ImageComposer
{
    private enum ClusterKind : byte
    {
        Unallocated,
        Zero,
        Data,
        Compressed,
    }

    internal static ComposedImage Compose(QcowFixtureOptions o, GuestPlan plan, CompanionNames names)
    {
        var cs = o.ClusterSize;
        var clusterBits = o.ClusterBits;
        var ext = o.ExtendedL2;
        var external = o.DataFile != FixtureDataFile.Internal;
        var l2Bits = clusterBits - (ext ? 4 : 3);
        var l2Entries = 1 << l2Bits;
        var l2EntrySize = ext ? 16 : 8;
        if (o.Snapshots != 0)
        {
            throw new ArgumentException("the composer lays out no internal snapshots; the engine adds them", nameof(o));
        }
        var maxRefcount = RefcountBlock.MaxRefcount(o.RefcountOrder);

        var guestClusters = plan.Content.Length / cs;
        var kinds = new ClusterKind[guestClusters];
        var bitmaps = new ulong[guestClusters];
        var granulesPerCluster = cs / plan.GranuleSize;
        for (var c = 0; c < guestClusters; c++)
        {
            var any = GranuleState.Hole;
            ulong bitmap = 0;
            for (var s = 0; s < granulesPerCluster; s++)
            {
                var state = plan.Granules[(c * granulesPerCluster) + s];
                any = (GranuleState)Math.Max((byte)any, (byte)state);
                if (state == GranuleState.Data)
                {
                    bitmap |= 1UL << s;
                }
                else if (state == GranuleState.Zero)
                {
                    bitmap |= 1UL << (32 + s);
                }
            }
            kinds[c] = any switch
            {
                GranuleState.Data => ClusterKind.Data,
                GranuleState.Zero => ClusterKind.Zero,
                _ => ClusterKind.Unallocated,
            };
            bitmaps[c] = ext ? bitmap : 0;
        }

        var streams = Compress(o, plan, kinds);

        var l1Size = (int)QcowHeader.RequiredL1EntriesFor((ulong)o.VirtualSize, clusterBits, l2Bits);
        var l1Clusters = Math.Max(1, CeilDiv(l1Size * 8L, cs));
        var l2Tables = new SortedSet<int>();
        var dataClusters = 0;
        for (var c = 0; c < guestClusters; c++)
        {
            if (kinds[c] != ClusterKind.Unallocated)
            {
                l2Tables.Add(c >> l2Bits);
            }
            if (kinds[c] == ClusterKind.Data && !external)
            {
                dataClusters++;
            }
        }

        // Compressed streams are packed byte after byte, as qemu does; a stream moves to the next cluster
        // only when sharing a host cluster would overflow a narrow refcount.
        var streamOffsets = new SortedDictionary<int, long>();
        var packedRefs = new Dictionary<long, ulong>();
        long packed = 0;
        foreach (var (cluster, stream) in streams)
        {
            if (!FitsRefcounts(packed, stream.Length, cs, maxRefcount, packedRefs))
            {
                packed = CeilDiv(packed, cs) * (long)cs;
            }
            foreach (var touched in TouchedClusters(packed, stream.Length, cs))
            {
                packedRefs[touched] = packedRefs.GetValueOrDefault(touched) + 1;
            }
            streamOffsets[cluster] = packed;
            packed += stream.Length;
        }
        var compressedClusters = (int)CeilDiv(packed, cs);

        var bitmapPlans = PlanBitmaps(o, kinds);
        var bitmapDirectoryBytes = bitmapPlans.Sum(b => b.Entry.EncodedSize);
        var bitmapClusters = (int)CeilDiv(bitmapDirectoryBytes, cs) + bitmapPlans.Sum(b => b.TableClusters + b.DataClusters);

        var rest = l1Clusters + l2Tables.Count + dataClusters + compressedClusters + bitmapClusters;
        var entriesPerBlock = RefcountBlock.EntriesPerBlock(cs, o.RefcountOrder);
        long tableClusters = 1, blocks = 1;
        while (true)
        {
            var total = 1 + tableClusters + blocks + rest;
            var needBlocks = CeilDiv(total, entriesPerBlock);
            var needTable = CeilDiv(needBlocks * 8, cs);
            if (needBlocks <= blocks && needTable <= tableClusters)
            {
                break;
            }
            blocks = Math.Max(blocks, needBlocks);
            tableClusters = Math.Max(tableClusters, needTable);
        }
        var totalClusters = 1 + tableClusters + blocks + rest;
        var image = new byte[totalClusters * cs];
        var refcounts = new ulong[totalClusters];
        long next = 0;
        long Take(long count, ulong references = 1)
        {
            var start = next;
            for (var i = 0; i < count; i++)
            {
                refcounts[next + i] += references;
            }
            next += count;
            return start * cs;
        }

        Take(1);
        var refcountTableOffset = Take(tableClusters);
        var refcountBlocksOffset = Take(blocks);
        var l1Offset = Take(l1Clusters);
        var l2Offsets = new Dictionary<int, long>();
        foreach (var index in l2Tables)
        {
            l2Offsets[index] = Take(1);
        }
        var dataFile = external ? new byte[o.VirtualSize] : null;
        var l2Raw = new Dictionary<int, (ulong Entry, ulong Bitmap)>();
        for (var c = 0; c < guestClusters; c++)
        {
            switch (kinds[c])
            {
                case ClusterKind.Zero:
                    l2Raw[c] = (ext ? 0 : L2Entry.ZeroFlag, bitmaps[c]);
                    break;
                case ClusterKind.Data when external:
                    {
                        var guestOffset = (long)c * cs;
                        var length = (int)Math.Min(cs, o.VirtualSize - guestOffset);
                        plan.Content.AsSpan((int)guestOffset, length).CopyTo(dataFile.AsSpan((int)guestOffset));
                        l2Raw[c] = (L2Entry.Standard(guestOffset, copied: true).Raw, bitmaps[c]);
                        break;
                    }
                case ClusterKind.Data:
                    {
                        var host = Take(1);
                        plan.Content.AsSpan(c * cs, cs).CopyTo(image.AsSpan((int)host));
                        l2Raw[c] = (L2Entry.Standard(host, copied: true).Raw, bitmaps[c]);
                        break;
                    }
                default:
                    break;
            }
        }
        var compressedOffset = Take(compressedClusters, 0);
        foreach (var (touched, references) in packedRefs)
        {
            refcounts[(compressedOffset / cs) + touched] += references;
        }
        foreach (var (cluster, stream) in streams)
        {
            var host = compressedOffset + streamOffsets[cluster];
            stream.CopyTo(image.AsSpan((int)host));
            l2Raw[cluster] = (CompressedClusterDescriptor.ForStream(host, stream.Length).ToEntry(clusterBits), 0);
        }

        var l1 = new ulong[l1Size];
        foreach (var (index, offset) in l2Offsets)
        {
            l1[index] = L1Entry.Create(offset, copied: true).Raw;
            for (var e = 0; e < l2Entries; e++)
            {
                var c = (index << l2Bits) + e;
                if (c < guestClusters && l2Raw.TryGetValue(c, out var entry))
                {
                    var at = (int)offset + (e * l2EntrySize);
                    BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(at), entry.Entry);
                    if (ext)
                    {
                        BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(at + 8), entry.Bitmap);
                    }
                }
            }
        }
        WriteTable(image, l1Offset, l1, clearMask: 0);

        BitmapsExtension? bitmapsExtension = null;
        if (bitmapPlans.Count > 0)
        {
            var directoryOffset = Take(CeilDiv(bitmapDirectoryBytes, cs));
            foreach (var bitmap in bitmapPlans)
            {
                var tableOffset = Take(bitmap.TableClusters);
                bitmap.Entry.BitmapTableOffset = (ulong)tableOffset;
                for (var i = 0; i < bitmap.Table.Length; i++)
                {
                    var value = bitmap.Table[i];
                    if (value == BitmapPlan.DataMarker)
                    {
                        var dataOffset = Take(1);
                        bitmap.Data[i].CopyTo(image.AsSpan((int)dataOffset));
                        value = (ulong)dataOffset;
                    }
                    BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan((int)tableOffset + (i * 8)), value);
                }
            }
            var d = directoryOffset;
            foreach (var bitmap in bitmapPlans)
            {
                d += bitmap.Entry.Write(image.AsSpan((int)d));
            }
            bitmapsExtension = new BitmapsExtension((uint)bitmapPlans.Count, (ulong)bitmapDirectoryBytes, (ulong)directoryOffset);
        }

        if (next != totalClusters)
        {
            throw new InvalidOperationException($"layout mismatch: planned {totalClusters} clusters, placed {next}");
        }
        for (var b = 0; b < blocks; b++)
        {
            var blockOffset = refcountBlocksOffset + (b * cs);
            BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan((int)refcountTableOffset + (int)(b * 8)), RefcountTableEntry.Create(blockOffset).Raw);
            var block = image.AsSpan((int)blockOffset, cs);
            for (var i = 0L; i < entriesPerBlock; i++)
            {
                var cluster = (b * entriesPerBlock) + i;
                if (cluster < totalClusters && refcounts[cluster] != 0)
                {
                    RefcountBlock.Set(block, i, o.RefcountOrder, refcounts[cluster]);
                }
            }
        }

        var header = new QcowHeader
        {
            Version = (uint)o.Version,
            ClusterBits = clusterBits,
            Size = (ulong)o.VirtualSize,
            L1Size = (uint)l1Size,
            L1TableOffset = (ulong)l1Offset,
            RefcountTableOffset = (ulong)refcountTableOffset,
            RefcountTableClusters = (uint)tableClusters,
            RefcountOrder = o.RefcountOrder,
            CompressionType = o.CompressionType,
            BackingFile = names.BackingFile,
            BackingFormat = names.BackingFormat,
            ExternalDataFile = names.DataFile,
            Bitmaps = bitmapsExtension,
        };
        if (o.Version == 3)
        {
            header.FeatureNameTable = [.. FeatureNameTableEntry.QemuDefaults];
            header.IncompatibleFeatures = Flag(o.Dirty, IncompatibleFeatures.Dirty) | Flag(o.CorruptBit, IncompatibleFeatures.Corrupt)
                | Flag(external, IncompatibleFeatures.ExternalDataFile) | Flag(o.CompressionType != CompressionType.Deflate, IncompatibleFeatures.CompressionType)
                | Flag(ext, IncompatibleFeatures.ExtendedL2) | (IncompatibleFeatures)o.ExtraIncompatibleBits;
            header.CompatibleFeatures = (o.LazyRefcounts ? CompatibleFeatures.LazyRefcounts : CompatibleFeatures.None) | (CompatibleFeatures)o.ExtraCompatibleBits;
            header.AutoclearFeatures = (bitmapsExtension is null ? AutoclearFeatures.None : AutoclearFeatures.Bitmaps)
                | (o.DataFile == FixtureDataFile.ExternalRaw ? AutoclearFeatures.RawExternalData : AutoclearFeatures.None)
                | (AutoclearFeatures)o.ExtraAutoclearBits;
        }
        WriteHeader(header, image.AsSpan(0, cs), o);
        return new ComposedImage(image, dataFile);
    }

    /// <summary>Writes the header cluster; qemu leaves the feature name table out when it does not fit, and so does this.</summary>
    internal static void WriteHeader(QcowHeader header, Span<byte> cluster, QcowFixtureOptions o)
    {
        try
        {
            header.Write(cluster);
            return;
        }
        catch (InvalidOperationException) when (header.FeatureNameTable.Count > 0)
        {
            header.FeatureNameTable = [];
        }
        try
        {
            header.Write(cluster);
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException(
                $"ClusterSize {o.ClusterSize} is too small for the header with its backing file name, data file name and bitmap extension: {ex.Message}", ex);
        }
    }

    private static IncompatibleFeatures Flag(bool on, IncompatibleFeatures bit) => on ? bit : IncompatibleFeatures.None;

    private static long CeilDiv(long value, long divisor) => (value + divisor - 1) / divisor;

    private static void WriteTable(byte[] image, long offset, ulong[] entries, ulong clearMask)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan((int)offset + (i * 8)), entries[i] & ~clearMask);
        }
    }

    /// <summary>Clusters (relative to the packed region) that qemu counts for a stream: from its sector-aligned start over its whole sectors.</summary>
    private static IEnumerable<long> TouchedClusters(long offset, int length, int clusterSize)
    {
        var descriptor = CompressedClusterDescriptor.ForStream(offset, length);
        var start = offset & ~(long)(QcowLimits.CompressedSectorSize - 1);
        var end = start + ((long)descriptor.SectorCount * QcowLimits.CompressedSectorSize) - 1;
        for (var c = start / clusterSize; c <= end / clusterSize; c++)
        {
            yield return c;
        }
    }

    private static bool FitsRefcounts(long offset, int length, int clusterSize, ulong max, Dictionary<long, ulong> refs) =>
        TouchedClusters(offset, length, clusterSize).All(c => refs.GetValueOrDefault(c) + 1 <= max);

    /// <summary>Compresses the clusters <see cref="GuestPlan.CompressedClusters"/> chooses; one that does not shrink stays a data cluster.</summary>
    private static SortedDictionary<int, byte[]> Compress(QcowFixtureOptions o, GuestPlan plan, ClusterKind[] kinds)
    {
        var result = new SortedDictionary<int, byte[]>();
        var cs = o.ClusterSize;
        var chosen = plan.CompressedClusters(o);
        if (chosen.Count == 0)
        {
            return result;
        }
        // The managed zstd encoder: the corpus must come out byte-identical on machines with any libzstd, or none.
        using var compressor = new ClusterCompressor(o.CompressionType, portableZstd: true);
        var buffer = new byte[cs];
        foreach (var c in chosen)
        {
            if (compressor.TryCompress(plan.Content.AsSpan(c * cs, cs), buffer, out var length))
            {
                result[c] = buffer.AsSpan(0, length).ToArray();
                kinds[c] = ClusterKind.Compressed;
            }
        }
        return result;
    }

    private sealed class BitmapPlan
    {
        /// <summary>A table slot that points at a data cluster (filled with its offset when placed).</summary>
        internal const ulong DataMarker = ulong.MaxValue;

        internal required BitmapDirectoryEntry Entry { get; init; }

        internal required ulong[] Table { get; init; }

        internal required byte[][] Data { get; init; }

        internal int TableClusters { get; init; }

        internal int DataClusters => Table.Count(v => v == DataMarker);
    }

    /// <summary>
    /// Bitmap i tracks one bit per cluster. Rotating by i % 3: bits set for every allocated cluster (in
    /// data clusters), every table entry "all ones", every table entry "all zeros".
    /// </summary>
    private static List<BitmapPlan> PlanBitmaps(QcowFixtureOptions o, ClusterKind[] kinds)
    {
        var plans = new List<BitmapPlan>();
        var cs = o.ClusterSize;
        var granularityBits = o.ClusterBits;
        var bits = CeilDiv(o.VirtualSize, 1L << granularityBits);
        var bytes = CeilDiv(bits, 8);
        var entries = (int)CeilDiv(bytes, cs);
        for (var i = 0; i < o.Bitmaps; i++)
        {
            var table = new ulong[entries];
            var data = new byte[entries][];
            for (var e = 0; e < entries; e++)
            {
                switch (i % 3)
                {
                    case 0:
                        {
                            var block = new byte[cs];
                            var any = false;
                            for (var bit = 0L; bit < (long)cs * 8; bit++)
                            {
                                var cluster = ((long)e * cs * 8) + bit;
                                if (cluster < kinds.Length && kinds[cluster] != ClusterKind.Unallocated)
                                {
                                    block[bit >> 3] |= (byte)(1 << (int)(bit & 7));
                                    any = true;
                                }
                            }
                            table[e] = any ? BitmapPlan.DataMarker : 0;
                            data[e] = block;
                            break;
                        }
                    case 1:
                        table[e] = 1;
                        data[e] = [];
                        break;
                    default:
                        table[e] = 0;
                        data[e] = [];
                        break;
                }
            }
            plans.Add(new BitmapPlan
            {
                Entry = new BitmapDirectoryEntry
                {
                    Name = $"bitmap{i}",
                    Flags = i == 0 ? BitmapFlags.Auto : BitmapFlags.None,
                    GranularityBits = (byte)granularityBits,
                    BitmapTableSize = (uint)entries,
                },
                Table = table,
                Data = data,
                TableClusters = (int)CeilDiv(entries * 8L, cs),
            });
        }
        return plans;
    }
}
