using QcowKit.Fixtures.Corruptions;
using QcowKit.Fixtures.Content;
using QcowKit.Format;

namespace QcowKit.Fixtures;

/// <summary>
/// Every <see cref="Corruption"/> with its edit, its preconditions and the verdict qemu-img 7.2 gives on
/// the catalogue fixture (a 1 MiB image with 2 KiB clusters, two L2 tables and the default content mix;
/// kinds that need a snapshot, bitmap, compression, extended L2 or version 2 get that on top).
/// </summary>
public static class CorruptionCatalogue
{
    /// <summary>The base every catalogue corruption starts from.</summary>
    public static QcowFixtureOptions DefaultBase { get; } = new()
    {
        VirtualSize = 1024 * 1024,
        ClusterSize = 2048,
        Seed = 7,
        Content = new FixtureContent().Mix(32 * 1024, 2048).Hole((512 - 32) * 1024).Mix(16 * 1024, 2048),
    };

    private static readonly Dictionary<Corruption, CorruptionInfo> Entries = Build().Concat(FromQemuIotests()).ToDictionary(e => e.Kind);

    /// <summary>All entries, in enum order.</summary>
    public static IReadOnlyList<CorruptionInfo> All { get; } = [.. Enum.GetValues<Corruption>().Select(k => Entries[k])];

    /// <summary>The entry for one kind.</summary>
    public static CorruptionInfo Get(Corruption kind) => Entries[kind];

    /// <summary>The catalogue fixture's options for one kind: <see cref="DefaultBase"/>, adjusted, with the corruption.</summary>
    public static QcowFixtureOptions CatalogueOptions(Corruption kind) =>
        Entries[kind].BaseOptions(DefaultBase) with { Corruptions = [kind] };

    private static string? Always(QcowFixtureOptions o) => null;

    private static QcowFixtureOptions Same(QcowFixtureOptions o) => o;

    private static QcowFixtureOptions WithSnapshot(QcowFixtureOptions o) => o with { Snapshots = 1 };

    private static QcowFixtureOptions WithBitmap(QcowFixtureOptions o) => o with { Bitmaps = 2 };

    private static QcowFixtureOptions WithCompression(QcowFixtureOptions o) => o with { CompressedFraction = 0.5 };

    private static QcowFixtureOptions WithExtendedL2(QcowFixtureOptions o) => o with
    {
        ClusterSize = 16 * 1024,
        ExtendedL2 = true,
        Content = new FixtureContent().Mix(64 * 1024, 512).Hole(448 * 1024).Mix(32 * 1024, 16 * 1024),
    };

    private static QcowFixtureOptions AsVersion2(QcowFixtureOptions o) => o with { Version = 2 };

    private static string? NeedsSnapshot(QcowFixtureOptions o) => o.Snapshots > 0 ? null : "an internal snapshot";

    private static string? NeedsNoSnapshot(QcowFixtureOptions o) => o.Snapshots == 0 ? null : "no internal snapshot (refcounts of 1)";

    private static string? NeedsBitmap(QcowFixtureOptions o) => o.Bitmaps > 0 ? null : "a persistent bitmap";

    private static string? NeedsCompression(QcowFixtureOptions o) => o.CompressedFraction > 0 ? null : "compressed clusters";

    private static string? NeedsWideRefcounts(QcowFixtureOptions o) => o.RefcountBits > 1 ? null : "refcounts wider than 1 bit";

    private static string? NeedsInternalData(QcowFixtureOptions o) => o.DataFile == FixtureDataFile.Internal ? null : "guest data inside the qcow2 file";

    private static string? NeedsVersion3(QcowFixtureOptions o) => o.Version == 3 ? null : "version 3";

    private static string? NeedsSmallerThanClusterAlignment(QcowFixtureOptions o) => o.ClusterSize > 512 ? null : "clusters larger than 512 bytes (so that an offset can be sector- but not cluster-aligned)";

    private static Func<QcowFixtureOptions, string?> All2(Func<QcowFixtureOptions, string?> a, Func<QcowFixtureOptions, string?> b) => o => a(o) ?? b(o);

    private static long BeyondEof(ImageEditor e) => ((e.Image.Length / e.ClusterSize) + 16L) * e.ClusterSize;

    private static IEnumerable<CorruptionInfo> Build()
    {
        CorruptionInfo E(Corruption kind, string description, CheckOutcome outcome, Func<QcowFixtureOptions, QcowFixtureOptions> baseOptions,
            Func<QcowFixtureOptions, string?> requires, Action<ImageEditor> apply) => new(kind, description, outcome, baseOptions, requires, apply);

        // Refcounts and references.
        yield return E(Corruption.Leak, "an L2 entry is cleared; its data cluster keeps refcount 1 with no reference",
            new(3, Leaks: 1), Same, NeedsInternalData, e =>
            {
                var m = e.FirstData(nameof(Corruption.Leak));
                e.SetU64(m.L2EntryOffset, 0);
                if (e.Header.HasExtendedL2)
                {
                    e.SetU64(m.L2EntryOffset + 8, 0);
                }
                e.GuestUnmapped(m);
            });
        yield return E(Corruption.RefcountZero, "a data cluster's refcount is 0",
            new(2, Corruptions: 2), Same, NeedsInternalData, e =>
            {
                var m = e.FirstData(nameof(Corruption.RefcountZero));
                e.SetRefcount(m.HostOffset, 0);
            });
        yield return E(Corruption.RefcountTooLow, "a data cluster shared with a snapshot has refcount 1 instead of 2",
            new(2, Corruptions: 2), WithSnapshot, All2(NeedsSnapshot, NeedsInternalData), e =>
            {
                var m = e.FirstData(nameof(Corruption.RefcountTooLow));
                e.SetRefcount(m.HostOffset, e.GetRefcount(m.HostOffset) - 1);
            });
        yield return E(Corruption.RefcountTooHigh, "a data cluster's refcount is one more than its references",
            new(2, Corruptions: 1, Leaks: 1), Same, All2(NeedsWideRefcounts, NeedsInternalData), e =>
            {
                var m = e.FirstData(nameof(Corruption.RefcountTooHigh));
                e.SetRefcount(m.HostOffset, e.GetRefcount(m.HostOffset) + 1);
            });
        yield return E(Corruption.L2TableRefcountZero, "an L2 table's refcount is 0",
            new(2, Corruptions: 2), Same, Always, e =>
            {
                var table = e.L2Tables().First();
                e.SetRefcount(table.L2Offset, 0);
            });
        yield return E(Corruption.RefcountBlockRefcountZero, "the first refcount block's own refcount is 0",
            new(2, Corruptions: 1), Same, Always, e =>
            {
                var block = e.RefcountBlockFor(0);
                e.SetRefcount(block, 0);
            });
        yield return E(Corruption.DoubleReference, "the second data cluster's L2 entry points at the first's host cluster",
            new(2, Corruptions: 1, Leaks: 1), Same, NeedsInternalData, e =>
            {
                var data = e.DataClusters();
                if (data.Count < 2)
                {
                    throw ImageEditor.NotApplicable(nameof(Corruption.DoubleReference), "two data clusters");
                }
                var (first, second) = (data[0], data[1]);
                e.SetU64(second.L2EntryOffset, (second.Entry & ~L2Entry.OffsetMask) | (ulong)first.HostOffset);
                e.GuestReadsFrom(second, first.HostOffset);
            });

        // Table entries.
        // The unaligned offset lands in the refcount table rather than the L2 table's own cluster, so what qemu
        // parses as L2 entries is metadata, not guest data, and the counts do not depend on the content seed.
        yield return E(Corruption.L1EntryUnaligned, "an active L1 entry points 512 bytes into the refcount table (not cluster-aligned)",
            new(2, Corruptions: 10, Leaks: 11), Same, NeedsSmallerThanClusterAlignment, e =>
            {
                var table = e.L2Tables().First();
                e.SetU64(table.EntryOffset, L1Entry.Create((long)e.Header.RefcountTableOffset + 512, copied: true).Raw);
                e.Guest.MarkUnreadable();
            });
        yield return E(Corruption.L1EntryBeyondEof, "an active L1 entry points 16 clusters past the end of the file",
            new(2, Corruptions: 2, Leaks: 11), Same, Always, e =>
            {
                var table = e.L2Tables().First();
                var raw = L1Entry.Create(BeyondEof(e), copied: true).Raw;
                e.SetU64(table.EntryOffset, raw);
                e.GuestFollowsL1Entry(table.Index, raw);
            });
        yield return E(Corruption.L1EntryReservedBits, "an active L1 entry has reserved bit 1 set",
            new(2, Corruptions: 1), Same, Always, e =>
            {
                var table = e.L2Tables().First();
                e.SetU64(table.EntryOffset, e.U64(table.EntryOffset) | 0x2);
            });
        yield return E(Corruption.L2EntryUnaligned, "a data cluster's L2 entry is 512 bytes past a cluster boundary",
            new(2, Corruptions: 2), Same, All2(NeedsSmallerThanClusterAlignment, NeedsInternalData), e =>
            {
                var m = e.FirstData(nameof(Corruption.L2EntryUnaligned));
                e.SetU64(m.L2EntryOffset, m.Entry + 512);
                e.Guest.MarkUnreadable();
            });
        yield return E(Corruption.L2EntryBeyondEof, "a data cluster's L2 entry points 16 clusters past the end of the file",
            new(2, Corruptions: 2, Leaks: 1), Same, NeedsInternalData, e =>
            {
                var m = e.FirstData(nameof(Corruption.L2EntryBeyondEof));
                var target = BeyondEof(e);
                e.SetU64(m.L2EntryOffset, (m.Entry & ~L2Entry.OffsetMask) | (ulong)target);
                e.GuestReadsFrom(m, target);
            });
        yield return E(Corruption.L2EntryReservedBits, "a data cluster's L2 entry has reserved bit 1 set",
            new(2, Corruptions: 1), Same, NeedsInternalData, e =>
            {
                var m = e.FirstData(nameof(Corruption.L2EntryReservedBits));
                e.SetU64(m.L2EntryOffset, m.Entry | 0x2);
            });
        yield return E(Corruption.RefcountTableEntryUnaligned, "the first refcount table entry is 512 bytes past a cluster boundary",
            new(1, Corruptions: 1, CheckErrors: 21), Same, NeedsSmallerThanClusterAlignment, e =>
            {
                var at = (long)e.Header.RefcountTableOffset;
                e.SetU64(at, e.U64(at) + 512);
            });
        yield return E(Corruption.RefcountTableEntryBeyondEof, "the first refcount table entry points 16 clusters past the end of the file",
            new(2, Corruptions: 38), Same, Always, e =>
            {
                e.SetU64((long)e.Header.RefcountTableOffset, (ulong)BeyondEof(e));
            });
        yield return E(Corruption.RefcountTableEntryReservedBits, "the first refcount table entry has reserved bit 0 set",
            new(2, Corruptions: 1, Leaks: 1), Same, Always, e =>
            {
                var at = (long)e.Header.RefcountTableOffset;
                e.SetU64(at, e.U64(at) | 0x1);
            });

        // Overlaps.
        yield return E(Corruption.L1TableOverlapsHeader, "l1_table_offset is 0, so the header's bytes are read as L1 entries",
            new(2, Corruptions: 3, Leaks: 18), Same, Always, e =>
            {
                e.SetU64(HeaderFieldOffsets.L1TableOffset, 0);
                for (var i = 0; i < e.Header.L1Size; i++)
                {
                    e.GuestFollowsL1Entry(i, e.U64(i * 8L));
                }
            });
        yield return E(Corruption.L2TableOverlapsRefcountBlock, "an active L1 entry points at the first refcount block",
            new(2, Corruptions: 8, Leaks: 11), Same, Always, e =>
            {
                var table = e.L2Tables().First();
                var raw = L1Entry.Create(e.RefcountBlockFor(0), copied: true).Raw;
                e.SetU64(table.EntryOffset, raw);
                e.GuestFollowsL1Entry(table.Index, raw);
            });
        yield return E(Corruption.L2TableOverlapsL2Table, "the second active L1 entry points at the first L2 table",
            new(2, Corruptions: 11, Leaks: 6), Same, Always, e =>
            {
                var tables = e.L2Tables();
                if (tables.Count < 2)
                {
                    throw ImageEditor.NotApplicable(nameof(Corruption.L2TableOverlapsL2Table), "two L2 tables");
                }
                var raw = e.U64(tables[0].EntryOffset);
                e.SetU64(tables[1].EntryOffset, raw);
                e.GuestFollowsL1Entry(tables[1].Index, raw);
            });
        yield return E(Corruption.DataOverlapsL1Table, "a data cluster's L2 entry points at the L1 table",
            new(2, Corruptions: 1, Leaks: 1), Same, NeedsInternalData, e =>
            {
                var m = e.FirstData(nameof(Corruption.DataOverlapsL1Table));
                var target = (long)e.Header.L1TableOffset;
                e.SetU64(m.L2EntryOffset, (m.Entry & ~L2Entry.OffsetMask) | (ulong)target);
                e.GuestReadsFrom(m, target);
            });
        yield return E(Corruption.DataOverlapsRefcountTable, "a data cluster's L2 entry points at the refcount table",
            new(2, Corruptions: 1, Leaks: 1), Same, NeedsInternalData, e =>
            {
                var m = e.FirstData(nameof(Corruption.DataOverlapsRefcountTable));
                var target = (long)e.Header.RefcountTableOffset;
                e.SetU64(m.L2EntryOffset, (m.Entry & ~L2Entry.OffsetMask) | (ulong)target);
                e.GuestReadsFrom(m, target);
            });

        // COPIED flags.
        yield return E(Corruption.L1CopiedMissing, "an active L1 entry lacks COPIED although its L2 table's refcount is 1",
            new(2, Corruptions: 1), Same, NeedsNoSnapshot, e =>
            {
                var table = e.L2Tables().First();
                e.SetU64(table.EntryOffset, e.U64(table.EntryOffset) & ~L1Entry.CopiedFlag);
            });
        yield return E(Corruption.L2CopiedMissing, "a data cluster's L2 entry lacks COPIED although its refcount is 1",
            new(2, Corruptions: 1), Same, All2(NeedsNoSnapshot, NeedsInternalData), e =>
            {
                var m = e.FirstData(nameof(Corruption.L2CopiedMissing));
                e.SetU64(m.L2EntryOffset, m.Entry & ~L2Entry.CopiedFlag);
            });
        yield return E(Corruption.CopiedOnSharedCluster, "a data cluster shared with a snapshot has COPIED in its L2 entry",
            new(2, Corruptions: 1), WithSnapshot, All2(NeedsSnapshot, NeedsInternalData), e =>
            {
                var m = e.FirstData(nameof(Corruption.CopiedOnSharedCluster));
                e.SetU64(m.L2EntryOffset, m.Entry | L2Entry.CopiedFlag);
            });

        // Compressed clusters.
        yield return E(Corruption.CompressedOffsetBeyondEof, "a compressed cluster's descriptor points 16 clusters past the end of the file",
            new(2, Corruptions: 1, Leaks: 1), WithCompression, NeedsCompression, e =>
            {
                var m = FirstCompressed(e, nameof(Corruption.CompressedOffsetBeyondEof));
                var descriptor = CompressedClusterDescriptor.FromEntry(m.Entry, e.Header.ClusterBits);
                e.SetU64(m.L2EntryOffset, (descriptor with { HostOffset = BeyondEof(e) }).ToEntry(e.Header.ClusterBits));
                e.Guest.MarkUnreadable();
            });
        yield return E(Corruption.CompressedSizeBeyondEof, "the last compressed cluster's descriptor claims the largest sector count, past the end of the file",
            new(2, Corruptions: 1), WithCompression, NeedsCompression, e =>
            {
                // An image whose every candidate cluster was stored uncompressed (the stream was not smaller) has none:
                // that is a refusal of the combination, like any other missing precondition.
                var compressed = e.CompressedClusters();
                if (compressed.Count == 0)
                {
                    throw ImageEditor.NotApplicable(nameof(Corruption.CompressedSizeBeyondEof), "compressed clusters");
                }
                var m = compressed.MaxBy(c => CompressedClusterDescriptor.FromEntry(c.Entry, e.Header.ClusterBits).HostOffset);
                var bits = e.Header.ClusterBits;
                var descriptor = CompressedClusterDescriptor.FromEntry(m.Entry, bits);
                var widest = descriptor with { SectorCount = (int)CompressedClusterDescriptor.SizeMask(bits) + 1 };
                e.SetU64(m.L2EntryOffset, widest.ToEntry(bits));
            });
        yield return E(Corruption.CompressedGarbageStream, "a compressed stream's bytes are overwritten with 0xFF, which neither deflate nor zstd decodes",
            CheckOutcome.Clean, WithCompression, NeedsCompression, e =>
            {
                var m = FirstCompressed(e, nameof(Corruption.CompressedGarbageStream));
                var descriptor = CompressedClusterDescriptor.FromEntry(m.Entry, e.Header.ClusterBits);
                e.Image.AsSpan((int)descriptor.HostOffset, Math.Min(64, e.Image.Length - (int)descriptor.HostOffset)).Fill(0xFF);
                e.Guest.MarkUnreadable();
            });
        yield return E(Corruption.TruncatedData, "the file ends in the middle of its last data cluster (qemu reads zeros past the end and its check counts nothing)",
            CheckOutcome.Clean, Same, NeedsInternalData, e =>
            {
                var data = e.DataClusters();
                if (data.Count == 0)
                {
                    throw ImageEditor.NotApplicable(nameof(Corruption.TruncatedData), "a data cluster");
                }
                var last = data.MaxBy(m => m.HostOffset);
                if (last.HostOffset + e.ClusterSize != e.Image.Length)
                {
                    throw ImageEditor.NotApplicable(nameof(Corruption.TruncatedData), "a data cluster at the end of the file (no compression, snapshots or bitmaps)");
                }
                e.Truncate(last.HostOffset + (e.ClusterSize / 2));
                e.GuestReadsFrom(last, last.HostOffset);
            });

        // Snapshots.
        yield return E(Corruption.SnapshotTableUnaligned, "snapshots_offset is 8 bytes past a cluster boundary",
            CheckOutcome.Unopenable, WithSnapshot, NeedsSnapshot, e =>
            {
                e.FirstSnapshotEntry(nameof(Corruption.SnapshotTableUnaligned));
                e.SetU64(HeaderFieldOffsets.SnapshotsOffset, e.Header.SnapshotsOffset + 8);
                e.Guest.MarkUnreadable();
            });
        yield return E(Corruption.SnapshotTableBeyondEof, "nb_snapshots is 1000, more entries than the file holds (qemu reads zeros past the end of the file)",
            new(2, Corruptions: 1000, Leaks: 1), WithSnapshot, NeedsSnapshot, e =>
            {
                e.FirstSnapshotEntry(nameof(Corruption.SnapshotTableBeyondEof));
                e.SetU32(HeaderFieldOffsets.NbSnapshots, 1000);
            });
        yield return E(Corruption.SnapshotL1TableUnaligned, "the first snapshot's L1 table offset is 512 bytes past a cluster boundary",
            new(2, Corruptions: 1, Leaks: 18), WithSnapshot, All2(NeedsSnapshot, NeedsSmallerThanClusterAlignment), e =>
            {
                var at = e.FirstSnapshotEntry(nameof(Corruption.SnapshotL1TableUnaligned));
                e.SetU64(at, e.U64(at) + 512);
            });
        yield return E(Corruption.SnapshotL1SizeTooLarge, "the first snapshot's l1_size exceeds qemu's 32 MiB L1 limit",
            new(2, Corruptions: 1, Leaks: 18), WithSnapshot, NeedsSnapshot, e =>
            {
                var at = e.FirstSnapshotEntry(nameof(Corruption.SnapshotL1SizeTooLarge));
                e.SetU32(at + 8, (uint)(QcowLimits.MaxL1SizeBytes / 8) + 1);
            });
        yield return E(Corruption.SnapshotExtraDataTooLarge, "the first snapshot's extra_data_size is 2048 (qemu allows 1024)",
            CheckOutcome.Unopenable, WithSnapshot, NeedsSnapshot, e =>
            {
                var at = e.FirstSnapshotEntry(nameof(Corruption.SnapshotExtraDataTooLarge));
                e.SetU32(at + 36, 2048);
                e.Guest.MarkUnreadable();
            });

        // Bitmaps.
        yield return E(Corruption.BitmapDirectoryUnaligned, "bitmap_directory_offset is 8 bytes past a cluster boundary" + UnopenableBecauseAutoBitmap,
            CheckOutcome.Unopenable, WithBitmap, NeedsBitmap, e =>
            {
                var body = e.BitmapsExtensionBody(nameof(Corruption.BitmapDirectoryUnaligned));
                e.SetU64(body + 16, e.U64(body + 16) + 8);
            });
        yield return E(Corruption.BitmapGranularityInvalid, "the first bitmap's granularity_bits is 40" + UnopenableBecauseAutoBitmap,
            CheckOutcome.Unopenable, WithBitmap, NeedsBitmap, e =>
            {
                var at = e.FirstBitmapEntry(nameof(Corruption.BitmapGranularityInvalid));
                e.Image[at + 17] = 40;
            });
        yield return E(Corruption.BitmapTableUnaligned, "the first bitmap's table offset is 512 bytes past a cluster boundary" + UnopenableBecauseAutoBitmap,
            CheckOutcome.Unopenable, WithBitmap, All2(NeedsBitmap, NeedsSmallerThanClusterAlignment), e =>
            {
                var at = e.FirstBitmapEntry(nameof(Corruption.BitmapTableUnaligned));
                e.SetU64(at, e.U64(at) + 512);
            });
        yield return E(Corruption.BitmapTableEntryReservedBits, "the first bitmap's first table entry has reserved bit 1 set" + UnopenableBecauseAutoBitmap,
            CheckOutcome.Unopenable, WithBitmap, NeedsBitmap, e =>
            {
                var at = e.FirstBitmapEntry(nameof(Corruption.BitmapTableEntryReservedBits));
                var table = (long)e.U64(at);
                e.SetU64(table, e.U64(table) | 0x2);
            });
        yield return E(Corruption.BitmapTableRefcountZero, "the first bitmap table's refcount is 0",
            new(2, Corruptions: 1), WithBitmap, NeedsBitmap, e =>
            {
                var at = e.FirstBitmapEntry(nameof(Corruption.BitmapTableRefcountZero));
                e.SetRefcount((long)e.U64(at), 0);
            });

        // Feature-specific entries.
        yield return E(Corruption.ExtendedL2AllocatedAndZero, "an extended L2 entry marks its first allocated subcluster zero as well",
            new(2, Corruptions: 1), WithExtendedL2, o => o.ExtendedL2 ? null : "extended L2 entries", e =>
            {
                var m = e.MappedClusters().First(c => !c.IsCompressed && (c.Bitmap & L2Entry.AllAllocatedMask) != 0);
                var s = System.Numerics.BitOperations.TrailingZeroCount(m.Bitmap & L2Entry.AllAllocatedMask);
                e.SetU64(m.L2EntryOffset + 8, m.Bitmap | (1UL << (32 + s)));
                e.Guest.MarkUnreadable();
            });
        yield return E(Corruption.ZeroFlagOnVersion2, "a data cluster's L2 entry in a version 2 image has the zero flag (qemu's check passes it, its reads fail)",
            CheckOutcome.Clean, AsVersion2, o => o.Version == 2 ? null : "version 2", e =>
            {
                var m = e.FirstData(nameof(Corruption.ZeroFlagOnVersion2));
                e.SetU64(m.L2EntryOffset, m.Entry | L2Entry.ZeroFlag);
                e.Guest.MarkUnreadable();
            });

        // Header faults: qemu refuses to open.
        yield return Header(Corruption.BadMagic, "the magic is 0x514649FA", Always, e => e.SetU32(HeaderFieldOffsets.Magic, QcowLimits.Magic - 1));
        yield return Header(Corruption.UnsupportedVersion, "version is 4", Always, e => e.SetU32(HeaderFieldOffsets.Version, 4));
        yield return Header(Corruption.ClusterBitsTooSmall, "cluster_bits is 8", Always, e => e.SetU32(HeaderFieldOffsets.ClusterBits, 8));
        yield return Header(Corruption.ClusterBitsTooLarge, "cluster_bits is 22", Always, e => e.SetU32(HeaderFieldOffsets.ClusterBits, 22));
        yield return Header(Corruption.HeaderLengthTooSmall, "header_length is 100", NeedsVersion3, e => e.SetU32(HeaderFieldOffsets.HeaderLength, 100));
        yield return Header(Corruption.HeaderLengthBeyondCluster, "header_length is the cluster size plus 8", NeedsVersion3,
            e => e.SetU32(HeaderFieldOffsets.HeaderLength, (uint)e.ClusterSize + 8));
        yield return Header(Corruption.L1SizeTooSmall, "l1_size is one entry short of what the virtual size needs", Always,
            e => e.SetU32(HeaderFieldOffsets.L1Size, (uint)e.Header.RequiredL1Entries - 1));
        yield return Header(Corruption.L1TableUnaligned, "l1_table_offset is 8 bytes past a cluster boundary", Always,
            e => e.SetU64(HeaderFieldOffsets.L1TableOffset, e.Header.L1TableOffset + 8));
        yield return Header(Corruption.RefcountTableUnaligned, "refcount_table_offset is 8 bytes past a cluster boundary", Always,
            e => e.SetU64(HeaderFieldOffsets.RefcountTableOffset, e.Header.RefcountTableOffset + 8));
        yield return E(Corruption.RefcountTableClustersZero, "refcount_table_clusters is 0 (qemu-img check still counts every cluster as a corruption)",
            new(2, Corruptions: 36, CanOpen: false), Same, Always, e =>
            {
                e.SetU32(HeaderFieldOffsets.RefcountTableClusters, 0);
                e.Guest.MarkUnreadable();
            });
        yield return Header(Corruption.UnknownIncompatibleBit, "incompatible feature bit 40 is set", NeedsVersion3,
            e => e.SetU64(HeaderFieldOffsets.IncompatibleFeatures, e.U64(HeaderFieldOffsets.IncompatibleFeatures) | (1UL << 40)));
        yield return Header(Corruption.CompressionTypeUnknown, "compression_type is 2 and the compression type bit is set", NeedsVersion3, e =>
        {
            e.Image[HeaderFieldOffsets.CompressionType] = 2;
            e.SetU64(HeaderFieldOffsets.IncompatibleFeatures, e.U64(HeaderFieldOffsets.IncompatibleFeatures) | (ulong)IncompatibleFeatures.CompressionType);
        });
        yield return Header(Corruption.CompressionTypeBitWithDeflate, "the compression type bit is set while compression_type is deflate",
            o => o.Version == 3 && o.CompressionType == CompressionType.Deflate ? null : "version 3 with deflate",
            e => e.SetU64(HeaderFieldOffsets.IncompatibleFeatures, e.U64(HeaderFieldOffsets.IncompatibleFeatures) | (ulong)IncompatibleFeatures.CompressionType));
        yield return Header(Corruption.RefcountOrderTooLarge, "refcount_order is 7", NeedsVersion3, e => e.SetU32(HeaderFieldOffsets.RefcountOrder, 7));
        yield return Header(Corruption.ExtensionLengthTooLarge, "the first header extension's length runs past the first cluster", NeedsVersion3,
            e => e.SetU32(e.FirstExtension + 4, (uint)e.ClusterSize));
        yield return Header(Corruption.BackingFileOffsetBeyondCluster, "backing_file_offset is past the first cluster", Always, e =>
        {
            e.SetU64(HeaderFieldOffsets.BackingFileOffset, (ulong)e.ClusterSize + 8);
            e.SetU32(HeaderFieldOffsets.BackingFileSize, 4);
        });
        yield return Header(Corruption.CryptMethodInvalid, "crypt_method is 3", Always, e => e.SetU32(HeaderFieldOffsets.CryptMethod, 3));
    }


    /// <summary>Kinds from qemu's iotests 060, 080, 271 that the first catalogue lacked.</summary>
    private static IEnumerable<CorruptionInfo> FromQemuIotests()
    {
        CorruptionInfo E(Corruption kind, string description, CheckOutcome outcome, Func<QcowFixtureOptions, QcowFixtureOptions> baseOptions,
            Func<QcowFixtureOptions, string?> requires, Action<ImageEditor> apply) => new(kind, description, outcome, baseOptions, requires, apply);

        CorruptionInfo DataAt(Corruption kind, string description, CheckOutcome outcome, Func<ImageEditor, MappedCluster, long> target) =>
            E(kind, description, outcome, Same, NeedsInternalData, e =>
            {
                var m = e.FirstData(kind.ToString());
                var at = target(e, m);
                e.SetU64(m.L2EntryOffset, (m.Entry & ~L2Entry.OffsetMask) | (ulong)at);
                e.GuestReadsFrom(m, at);
            });

        CorruptionInfo L2TableAt(Corruption kind, string description, CheckOutcome outcome, Func<ImageEditor, long> target) =>
            E(kind, description, outcome, Same, Always, e =>
            {
                var table = e.L2Tables().First();
                var raw = L1Entry.Create(target(e), copied: true).Raw;
                e.SetU64(table.EntryOffset, raw);
                e.GuestFollowsL1Entry(table.Index, raw);
            });

        yield return E(Corruption.DataOverlapsHeader, "a data cluster's L2 entry points at offset 0, the header: qemu reads offset 0 as unallocated and leaks the old cluster",
            new(3, Leaks: 1), Same, NeedsInternalData, e =>
            {
                var m = e.FirstData(nameof(Corruption.DataOverlapsHeader));
                e.SetU64(m.L2EntryOffset, m.Entry & ~L2Entry.OffsetMask);
                if (e.Header.HasExtendedL2 && (m.Bitmap & 0xffff_ffffUL) != 0)
                {
                    // An extended entry without an offset but with allocated subclusters is invalid: qemu fails the read.
                    e.Guest.MarkUnreadable();
                }
                else
                {
                    e.GuestUnmapped(m);
                }
            });
        yield return DataAt(Corruption.DataOverlapsRefcountBlock, "a data cluster's L2 entry points at the first refcount block",
            new(2, Corruptions: 2, Leaks: 1), (e, m) => e.RefcountBlockFor(0));
        yield return DataAt(Corruption.DataOverlapsL2Table, "a data cluster's L2 entry points at its own L2 table",
            new(2, Corruptions: 1, Leaks: 1), (e, m) => m.L2TableOffset);
        yield return L2TableAt(Corruption.L2TableOverlapsL1Table, "the first active L1 entry points at the L1 table",
            new(2, Corruptions: 2, Leaks: 11), e => (long)e.Header.L1TableOffset);
        yield return L2TableAt(Corruption.L2TableOverlapsRefcountTable, "the first active L1 entry points at the refcount table",
            new(2, Corruptions: 4, Leaks: 11), e => (long)e.Header.RefcountTableOffset);
        yield return E(Corruption.RefcountTableGrowsIntoData, "refcount_table_clusters is one more than written, so the table runs into the next cluster",
            new(2, Corruptions: 8), Same, Always, e =>
            {
                e.SetU32(HeaderFieldOffsets.RefcountTableClusters, e.Header.RefcountTableClusters + 1);
            });
        yield return E(Corruption.L1TableBeyondEof, "l1_table_offset is 16 clusters past the end of the file (qemu reads zeros there: every cluster unmapped)",
            new(2, Corruptions: 1, Leaks: 18), Same, Always, e =>
            {
                e.SetU64(HeaderFieldOffsets.L1TableOffset, (ulong)BeyondEof(e));
                for (var i = 0; i < e.Header.L1Size; i++)
                {
                    e.GuestFollowsL1Entry(i, 0);
                }
            });
        yield return E(Corruption.RefcountTableBeyondEof, "refcount_table_offset is 16 clusters past the end of the file (qemu reads an empty refcount table)",
            new(2, Corruptions: 37), Same, Always, e =>
            {
                e.SetU64(HeaderFieldOffsets.RefcountTableOffset, (ulong)BeyondEof(e));
            });
        yield return Header(Corruption.L1SizeTooLarge, "l1_size is one entry more than qemu's 32 MiB L1 limit", Always,
            e => e.SetU32(HeaderFieldOffsets.L1Size, (uint)(QcowLimits.MaxL1SizeBytes / 8) + 1));
        yield return E(Corruption.SnapshotL1TableBeyondEof, "the first snapshot's L1 table offset is 16 clusters past the end of the file",
            new(2, Corruptions: 1, Leaks: 18), WithSnapshot, NeedsSnapshot, e =>
            {
                var at = e.FirstSnapshotEntry(nameof(Corruption.SnapshotL1TableBeyondEof));
                e.SetU64(at, (ulong)BeyondEof(e));
            });
        yield return E(Corruption.SnapshotL1SizeZero, "the first snapshot's l1_size is 0 although the active L1 table has entries",
            new(3, Leaks: 18), WithSnapshot, NeedsSnapshot, e =>
            {
                var at = e.FirstSnapshotEntry(nameof(Corruption.SnapshotL1SizeZero));
                e.SetU32(at + 8, 0);
            });
        yield return E(Corruption.SnapshotTableOverlapsHeader, "snapshots_offset is 0, so the header is read as the snapshot table",
            new(2, Corruptions: 3, Leaks: 19), WithSnapshot, NeedsSnapshot, e =>
            {
                e.FirstSnapshotEntry(nameof(Corruption.SnapshotTableOverlapsHeader));
                e.SetU64(HeaderFieldOffsets.SnapshotsOffset, 0);
            });
        yield return E(Corruption.TooManySnapshots, "nb_snapshots is 65537, past qemu's limit",
            CheckOutcome.Unopenable, WithSnapshot, NeedsSnapshot, e =>
            {
                e.FirstSnapshotEntry(nameof(Corruption.TooManySnapshots));
                e.SetU32(HeaderFieldOffsets.NbSnapshots, 65537);
                e.Guest.MarkUnreadable();
            });
        yield return E(Corruption.BitmapDirectorySizeTooLarge, "bitmap_directory_size is 64 MiB plus 8",
            CheckOutcome.Unopenable, WithBitmap, NeedsBitmap, e =>
            {
                var body = e.BitmapsExtensionBody(nameof(Corruption.BitmapDirectorySizeTooLarge));
                e.SetU64(body + 8, (64UL << 20) + 8);
            });
        yield return E(Corruption.BitmapDirectorySizeTooSmall, "bitmap_directory_size is 8, shorter than one directory entry",
            CheckOutcome.Unopenable, WithBitmap, NeedsBitmap, e =>
            {
                var body = e.BitmapsExtensionBody(nameof(Corruption.BitmapDirectorySizeTooSmall));
                e.SetU64(body + 8, 8);
            });
        yield return E(Corruption.BitmapNameSizeZero, "the first bitmap's name_size is 0",
            CheckOutcome.Unopenable, WithBitmap, NeedsBitmap, e =>
            {
                var at = e.FirstBitmapEntry(nameof(Corruption.BitmapNameSizeZero));
                e.SetU16(at + 18, 0);
            });
        yield return E(Corruption.BitmapsExtensionWithoutBitmaps, "the bitmaps extension's nb_bitmaps is 0",
            CheckOutcome.Unopenable, WithBitmap, NeedsBitmap, e =>
            {
                var body = e.BitmapsExtensionBody(nameof(Corruption.BitmapsExtensionWithoutBitmaps));
                e.SetU32(body, 0);
            });
        yield return E(Corruption.ExtendedL2AllocatedAndZeroInSnapshot, "an extended L2 entry shared with a snapshot marks its first allocated subcluster zero as well",
            new(2, Corruptions: 2), o => WithSnapshot(WithExtendedL2(o)), o => o.ExtendedL2 && o.Snapshots > 0 ? null : "extended L2 entries and a snapshot", e =>
            {
                var m = e.MappedClusters().First(c => !c.IsCompressed && (c.Bitmap & L2Entry.AllAllocatedMask) != 0);
                var s = System.Numerics.BitOperations.TrailingZeroCount(m.Bitmap & L2Entry.AllAllocatedMask);
                e.SetU64(m.L2EntryOffset + 8, m.Bitmap | (1UL << (32 + s)));
                e.Guest.MarkUnreadable();
            });
        yield return E(Corruption.ExtendedL2CompressedWithBitmap, "a compressed cluster's extended L2 entry has its first allocation bit set",
            new(2, Corruptions: 1, Leaks: 1), o => WithCompression(WithExtendedL2(o)), o => o.ExtendedL2 && o.CompressedFraction > 0 ? null : "extended L2 entries and compressed clusters", e =>
            {
                var m = FirstCompressed(e, nameof(Corruption.ExtendedL2CompressedWithBitmap));
                e.SetU64(m.L2EntryOffset + 8, m.Bitmap | 1);
                // qemu ignores the bitmap of a compressed entry when it reads: the guest is unchanged.
            });
        yield return Header(Corruption.BackingFileNameTooLong, "backing_file_size is 1024 (qemu allows 1023)", Always, e =>
        {
            e.SetU64(HeaderFieldOffsets.BackingFileOffset, (ulong)e.FirstExtension);
            e.SetU32(HeaderFieldOffsets.BackingFileSize, 1024);
        });
    }

    private const string UnopenableBecauseAutoBitmap = " (the first bitmap has the auto flag, so qemu loads it on open and refuses the image)";

    private static CorruptionInfo Header(Corruption kind, string description, Func<QcowFixtureOptions, string?> requires, Action<ImageEditor> edit) =>
        new(kind, description, CheckOutcome.Unopenable, Same, requires, e =>
        {
            edit(e);
            e.Guest.MarkUnreadable();
        });

    private static MappedCluster FirstCompressed(ImageEditor e, string corruption) =>
        e.CompressedClusters() is [var first, ..] ? first : throw ImageEditor.NotApplicable(corruption, "compressed clusters");
}
