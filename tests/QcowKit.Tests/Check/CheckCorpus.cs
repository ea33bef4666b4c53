using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>One corpus image: made at test time by qemu-img/qemu-io plus precise byte edits.</summary>
public sealed class CorpusCase
{
    internal CorpusCase(string name, Action<string> build)
    {
        Name = name;
        BuildOnce = build;
        _bytes = new Lazy<byte[]>(Make, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Name { get; }

    private Action<string> BuildOnce { get; }

    private readonly Lazy<byte[]> _bytes;

    /// <summary>Writes the image to <paramref name="path"/>; qemu builds it once per test run, later calls copy it.</summary>
    internal void Build(string path) => File.WriteAllBytes(path, _bytes.Value);

    public override string ToString() => Name;

    private static readonly string CacheFolder = Path.Combine(Path.GetTempPath(), $"qcowkit-corpus-{Environment.ProcessId}");

    private byte[] Make()
    {
        Directory.CreateDirectory(CacheFolder);
        var path = Path.Combine(CacheFolder, Name + ".qcow2");
        File.Delete(path);
        BuildOnce(path);
        var content = File.ReadAllBytes(path);
        File.Delete(path);
        return content;
    }
}

/// <summary>
/// The corruption corpus: every category qemu-img check reports, each header rule that stops qemu
/// from opening an image, and clean images of each layout. Tests run qemu-img check side by side.
/// </summary>
public static class CheckCorpus
{
    private const ulong Copied = 1UL << 63;
    private const ulong Compressed = 1UL << 62;

    /// <summary>A 64 MiB image with two data clusters (guest clusters 0 and 1), one at 1 MiB, made by qemu-io.</summary>
    internal static void Base(string path, string? options = null, string size = "64M")
    {
        Qemu.CreateQcow2(path, size, options);
        Qemu.Io(path, "write -P 0x11 0 128k", "write -P 0x22 1M 64k");
    }

    /// <summary>3 MiB of data over 512-byte clusters with <paramref name="bits"/>-bit refcounts: from 2 (1 bit) to 100 (64 bits) refcount blocks.</summary>
    private static void ManyRefcountBlocks(string path, int bits)
    {
        Qemu.CreateQcow2(path, "64M", $"cluster_size=512,refcount_bits={bits}");
        Qemu.Io(path, "write -P 0x11 0 3M");
    }

    private static CorpusCase Case(string name, Action<string> build) => new(name, build);

    /// <summary>One compressed cluster written by qemu, its descriptor's host offset then moved to <paramref name="target"/>.</summary>
    private static CorpusCase CompressedStreamAt(string name, Func<QcowFileEditor, ulong> target) => Case(name, p =>
    {
        Qemu.CreateQcow2(p, "64M");
        Qemu.Io(p, "write -c -P 0x33 0 64k");
        using var e = new QcowFileEditor(p);
        var offsetMask = (1UL << (62 - (e.ClusterBits - 8))) - 1;
        e.SetU64(e.L2EntryOffset(0, 0), (e.L2Entry(0, 0) & ~offsetMask) | target(e));
    });

    private static CorpusCase Edit(string name, Action<QcowFileEditor> edit, string? options = null, string size = "64M") => new(name, path =>
    {
        Base(path, options, size);
        using var e = new QcowFileEditor(path);
        edit(e);
    });

    private static readonly Lazy<IReadOnlyList<CorpusCase>> All = new(() => MakeImages().ToList());

    /// <summary>Images whose check result (exit code and every count) must equal qemu's; the same instances for the whole run, so each is built once.</summary>
    public static IReadOnlyList<CorpusCase> Images() => All.Value;

    private static IEnumerable<CorpusCase> MakeImages()
    {
        // Clean layouts.
        yield return Case("clean_empty", p => Qemu.CreateQcow2(p, "64M"));
        yield return Case("clean_data", p => Base(p));
        yield return Case("clean_compat_0_10", p => Base(p, "compat=0.10"));
        yield return Case("clean_512_byte_clusters", p => Base(p, "cluster_size=512"));
        yield return Case("clean_2m_clusters", p => Base(p, "cluster_size=2M"));
        yield return Case("clean_refcount_bits_1", p => Base(p, "refcount_bits=1"));
        yield return Case("clean_refcount_bits_64", p => Base(p, "refcount_bits=64"));
        yield return Case("clean_extended_l2", p => Base(p, "extended_l2=on"));
        yield return Case("clean_fragmented_compressed", p =>
        {
            Qemu.CreateQcow2(p, "64M");
            Qemu.Io(p, "write -c -P 0x33 0 64k", "write -c -P 0x34 64k 64k", "write -P 0x44 4M 64k", "write -P 0x45 1M 64k", "write -P 0x46 2M 64k");
        });
        yield return Case("clean_zstd_compressed", p =>
        {
            Qemu.CreateQcow2(p, "64M", "compression_type=zstd");
            Qemu.Io(p, "write -c -P 0x33 0 128k");
        });
        yield return Case("clean_with_snapshots", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            Qemu.Io(p, "write -P 0x55 0 64k", "write -P 0x56 8M 64k");
            Qemu.ImgOk("snapshot", "-c", "s2", p);
        });
        yield return Case("clean_preallocated_zero", p =>
        {
            Base(p);
            Qemu.Io(p, "write -z 0 64k");
        });
        yield return Case("clean_zero_clusters", p =>
        {
            Qemu.CreateQcow2(p, "64M");
            Qemu.Io(p, "write -z -u 0 1M");
        });
        yield return Case("clean_with_bitmap", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            Qemu.ImgOk("bitmap", "--add", p, "b1");
        });
        // Many refcount blocks (512-byte clusters) of every width: most blocks agree with the counted refcounts as a
        // whole, and the image end offset comes from the last entry in use, also inside a byte for widths below 8.
        foreach (var bits in new[] { 1, 2, 4, 8, 16, 32, 64 })
        {
            yield return Case($"clean_many_refcount_blocks_bits_{bits}", p => ManyRefcountBlocks(p, bits));
        }
        // The file padded with unused clusters to a multiple of 8: the last block's entries end on a byte boundary, so
        // it too is compared as bytes, and the last cluster in use sits inside a byte of 1-, 2- and 4-bit entries.
        foreach (var bits in new[] { 1, 2, 4 })
        {
            yield return Case($"clean_refcount_bits_{bits}_unused_tail", p =>
            {
                ManyRefcountBlocks(p, bits);
                using var e = new QcowFileEditor(p);
                var clusters = e.Length / e.ClusterSize;
                e.SetLength((clusters / 8 + 2) * 8 * e.ClusterSize);
            });
        }
        // One block in the middle disagrees (refcount 2 on a data cluster with COPIED set): a leak from the comparison
        // and a COPIED-flag corruption, while the blocks before and after it agree.
        foreach (var bits in new[] { 2, 16 })
        {
            yield return Case($"leak_in_middle_refcount_block_bits_{bits}", p =>
            {
                ManyRefcountBlocks(p, bits);
                using var e = new QcowFileEditor(p);
                e.SetRefcount(e.DataClusterOffset(l2Index: 56, l1Index: 46), 2);
            });
        }
        yield return Case("clean_preallocation_metadata", p => Qemu.CreateQcow2(p, "64M", "preallocation=metadata"));
        yield return Case("clean_large_virtual_size", p => Qemu.CreateQcow2(p, "16T"));

        // Refcounts.
        yield return Edit("leak_refcount_too_high", e => e.SetRefcount(e.DataClusterOffset(0), 2));
        yield return Edit("leak_unreferenced_cluster", e =>
        {
            var end = (ulong)e.Length;
            e.SetLength((long)end + e.ClusterSize);
            e.SetRefcount(end, 1);
        });
        yield return Edit("leak_many", e =>
        {
            var end = (ulong)e.Length;
            e.SetLength((long)end + 4L * e.ClusterSize);
            for (ulong i = 0; i < 4; i++) e.SetRefcount(end + i * (ulong)e.ClusterSize, 3);
        });
        yield return Case("refcount_too_low_shared_by_snapshot", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetRefcount(e.DataClusterOffset(0), 1);
        });
        yield return Edit("refcount_zero_on_data_cluster", e => e.SetRefcount(e.DataClusterOffset(1), 0));
        yield return Edit("refcount_zero_on_l2_table", e => e.SetRefcount(e.L2TableOffset(0), 0));
        yield return Edit("refcount_zero_on_header", e => e.SetRefcount(0, 0));
        yield return Edit("double_reference_data", e => e.SetU64(e.L2EntryOffset(0, 1), e.L2Entry(0, 0)));
        yield return Edit("refcount_overflow_width_1", e => e.SetU64(e.L2EntryOffset(0, 1), e.L2Entry(0, 0)), "refcount_bits=1");
        yield return Edit("refcount_bits_1_leak", e =>
        {
            var end = (ulong)e.Length;
            e.SetLength((long)end + e.ClusterSize);
            e.SetRefcount(end, 1);
        }, "refcount_bits=1");
        yield return Edit("refcount_bits_64_too_low", e => e.SetRefcount(e.DataClusterOffset(0), 0), "refcount_bits=64");

        // L1 and L2 entries.
        yield return Edit("l1_entry_unaligned", e => e.SetU64(e.L1EntryOffset(0), e.L1Entry(0) + 0x200));
        yield return Edit("l1_entry_beyond_eof", e => e.SetU64(e.L1EntryOffset(0), Copied | ((ulong)e.Length + 16UL * (ulong)e.ClusterSize)));
        yield return Edit("l1_entry_reserved_bits", e => e.SetU64(e.L1EntryOffset(0), e.L1Entry(0) | 0x2));
        yield return Edit("l2_data_unaligned", e => e.SetU64(e.L2EntryOffset(0, 1), e.L2Entry(0, 1) + 0x200));
        yield return Edit("l2_preallocated_zero_unaligned", e => e.SetU64(e.L2EntryOffset(0, 1), (e.L2Entry(0, 1) + 0x200) | 1));
        yield return Edit("l2_entry_beyond_eof", e => e.SetU64(e.L2EntryOffset(0, 2), Copied | ((ulong)e.Length + 8UL * (ulong)e.ClusterSize)));
        yield return Edit("l2_entry_reserved_bits", e => e.SetU64(e.L2EntryOffset(0, 1), e.L2Entry(0, 1) | 0x2));
        yield return Edit("copied_flag_missing_l1", e => e.SetU64(e.L1EntryOffset(0), e.L1Entry(0) & ~Copied));
        yield return Edit("copied_flag_missing_l2", e => e.SetU64(e.L2EntryOffset(0, 0), e.L2Entry(0, 0) & ~Copied));
        yield return Edit("copied_flag_set_with_refcount_2", e => e.SetRefcount(e.DataClusterOffset(0), 2));
        yield return Case("copied_flag_on_compressed", p =>
        {
            Qemu.CreateQcow2(p, "64M");
            Qemu.Io(p, "write -c -P 0x33 0 64k");
            using var e = new QcowFileEditor(p);
            e.SetU64(e.L2EntryOffset(0, 0), e.L2Entry(0, 0) | Copied);
        });
        yield return CompressedStreamAt("compressed_beyond_eof", e => (ulong)e.Length + 4UL * (ulong)e.ClusterSize + 0x100);
        yield return Case("compressed_spanning_eof", p =>
        {
            Qemu.CreateQcow2(p, "64M");
            Qemu.Io(p, "write -c -P 0x33 0 64k");
            using var e = new QcowFileEditor(p);
            var entry = e.L2Entry(0, 0);
            var shift = 62 - (e.ClusterBits - 8);
            var sizeMask = (1UL << (e.ClusterBits - 8)) - 1;
            e.SetU64(e.L2EntryOffset(0, 0), entry | (sizeMask << shift));
        });
        yield return Edit("two_l1_entries_same_l2", e => e.SetU64(e.L1EntryOffset(1), e.L1Entry(0)), size: "2G");
        yield return Edit("l2_table_on_header", e => e.SetU64(e.L1EntryOffset(0), Copied));
        yield return Edit("l2_table_on_refcount_block", e => e.SetU64(e.L1EntryOffset(0), Copied | e.RefcountBlockOffset(0)));
        yield return Edit("l2_table_on_l1_table", e => e.SetU64(e.L1EntryOffset(0), Copied | e.L1Offset));
        yield return Edit("data_cluster_on_refcount_table", e => e.SetU64(e.L2EntryOffset(0, 1), Copied | e.RefcountTableOffset));
        yield return Case("data_cluster_on_snapshot_table", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU64(e.L2EntryOffset(0, 5), Copied | e.SnapshotsOffset);
        });
        yield return Case("data_cluster_on_bitmap_directory", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            var dir = BitmapDirectoryOffset(p);
            using var e = new QcowFileEditor(p);
            e.SetU64(e.L2EntryOffset(0, 5), Copied | (dir & ~((ulong)e.ClusterSize - 1)));
        });
        yield return CompressedStreamAt("compressed_on_l1_table", e => e.L1Offset);

        // Refcount table.
        yield return Edit("reftable_entry_unaligned", e => e.SetU64(e.RefcountTableEntryOffset(0), e.U64(e.RefcountTableEntryOffset(0)) + 0x200));
        yield return Edit("reftable_entry_reserved_bits", e => e.SetU64(e.RefcountTableEntryOffset(0), e.U64(e.RefcountTableEntryOffset(0)) | 0x1));
        yield return Edit("reftable_entry_beyond_eof", e => e.SetU64(e.RefcountTableEntryOffset(1), (ulong)e.Length + 64UL * (ulong)e.ClusterSize));
        yield return Edit("reftable_entry_zero", e => e.SetU64(e.RefcountTableEntryOffset(0), 0));
        yield return Edit("refcount_block_shared_with_l2", e => e.SetU64(e.RefcountTableEntryOffset(1), e.L2TableOffset(0)));

        // Snapshot table.
        yield return Case("snapshot_count_too_big", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU32(60, 70000);
        });
        yield return Case("snapshot_offset_unaligned", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU64(64, e.SnapshotsOffset + 8);
        });
        yield return Case("snapshot_table_beyond_eof", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU64(64, (ulong)e.Length + 16UL * (ulong)e.ClusterSize);
        });
        yield return Case("snapshot_l1_unaligned", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU64(e.SnapshotsOffset, e.U64(e.SnapshotsOffset) + 0x200);
        });
        yield return Case("snapshot_l1_too_large", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU32(e.SnapshotsOffset + 8, 0x1000000);
        });
        yield return Case("snapshot_extra_data_incomplete", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU32(e.SnapshotsOffset + 36, 8);
        });
        yield return Case("snapshot_extra_data_incomplete_second_entry", p =>
        {
            // Two snapshots, an older one deleted first: the rewritten table goes into the first free run, not the end.
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s0", p);
            Qemu.Io(p, "write -P 0x55 0 64k");
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            Qemu.Io(p, "write -P 0x56 64k 64k");
            Qemu.ImgOk("snapshot", "-c", "s2", p);
            Qemu.ImgOk("snapshot", "-d", "s0", p);
            using var e = new QcowFileEditor(p);
            var second = e.SnapshotsOffset + SnapshotEntryLength(e, e.SnapshotsOffset);
            e.SetU32(second + 36, 16);
        });
        yield return Case("snapshot_extra_data_incomplete_needs_new_refcount_block", p =>
        {
            // 512-byte clusters with 64-bit refcounts: the file ends where a refcount block's range ends, so the
            // rewritten table needs a new refcount block (qemu's alloc_refcount_block).
            Qemu.CreateQcow2(p, "64M", "cluster_size=512,refcount_bits=64");
            Qemu.Io(p, "write -P 0x11 0 128k", "write -P 0x22 1M 64k", "write -P 0x33 8M 23552");
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU32(e.SnapshotsOffset + 36, 8);
        });
        yield return Case("snapshot_extra_data_too_big", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU32(e.SnapshotsOffset + 36, 4096);
        });
        yield return Case("snapshot_l1_beyond_eof", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            e.SetU64(e.SnapshotsOffset, (ulong)e.Length + 16UL * (ulong)e.ClusterSize);
        });
        yield return Case("snapshot_l1_entry_reserved_bits", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            var snL1 = e.U64(e.SnapshotsOffset);
            e.SetU64(snL1, e.U64(snL1) | 0x4);
        });
        yield return Case("snapshot_l1_entry_beyond_eof", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            var snL1 = e.U64(e.SnapshotsOffset);
            e.SetU64(snL1, (ulong)e.Length + 32UL * (ulong)e.ClusterSize);
        });
        yield return Case("snapshot_l1_entry_unaligned", p =>
        {
            Base(p);
            Qemu.ImgOk("snapshot", "-c", "s1", p);
            using var e = new QcowFileEditor(p);
            var snL1 = e.U64(e.SnapshotsOffset);
            e.SetU64(snL1, e.U64(snL1) + 0x200);
        });

        // Bitmaps.
        yield return Case("bitmap_table_entry_reserved", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            Qemu.Io(p, "write -P 0x77 2M 64k");
            Qemu.ImgOk("bitmap", "--add", p, "b1");
            using var e = new QcowFileEditor(p);
            var dir = BitmapDirectoryOffset(p);
            var table = e.U64(dir);
            e.SetU64(table, e.U64(table) | 0x2);
        });
        yield return Case("bitmap_directory_bad_granularity", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            using var e = new QcowFileEditor(p);
            var dir = BitmapDirectoryOffset(p);
            var word = e.U32(dir + 16);
            e.SetU32(dir + 16, (word & 0xff00ffffU) | (40U << 16));
        });
        yield return Case("bitmap_table_unaligned", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            using var e = new QcowFileEditor(p);
            var dir = BitmapDirectoryOffset(p);
            e.SetU64(dir, e.U64(dir) + 0x200);
        });

        yield return Case("bitmap_directory_unaligned", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            var ext = BitmapsExtensionOffset(p);
            using var e = new QcowFileEditor(p);
            e.SetU64(ext + 8 + 16, e.U64(ext + 8 + 16) + 8);
        });
        yield return Case("bitmap_directory_beyond_eof", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            var ext = BitmapsExtensionOffset(p);
            using var e = new QcowFileEditor(p);
            e.SetU64(ext + 8 + 16, (ulong)e.Length + 8UL * (ulong)e.ClusterSize);
        });
        yield return Case("bitmap_directory_entry_unknown_flags", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            using var e = new QcowFileEditor(p);
            var dir = BitmapDirectoryOffset(p);
            e.SetU32(dir + 12, e.U32(dir + 12) | 0x10);
        });
        yield return Case("bitmap_table_beyond_eof", p =>
        {
            Base(p);
            Qemu.ImgOk("bitmap", "--add", p, "b0");
            using var e = new QcowFileEditor(p);
            var dir = BitmapDirectoryOffset(p);
            e.SetU64(dir, (ulong)e.Length + 8UL * (ulong)e.ClusterSize);
        });

        // Extended L2 subclusters.
        yield return Edit("extended_l2_allocated_and_zero", e =>
        {
            var bitmapOffset = e.L2EntryOffset(0, 0) + 8;
            e.SetU64(bitmapOffset, e.U64(bitmapOffset) | (1UL << 32));
        }, "extended_l2=on");
        yield return Edit("extended_l2_unallocated_with_bits", e => e.SetU64(e.L2EntryOffset(0, 5) + 8, 0x1), "extended_l2=on");
        yield return Case("extended_l2_compressed_with_bitmap", p =>
        {
            Qemu.CreateQcow2(p, "64M", "extended_l2=on");
            Qemu.Io(p, "write -c -P 0x33 0 64k");
            using var e = new QcowFileEditor(p);
            e.SetU64(e.L2EntryOffset(0, 0) + 8, 0x1);
        });

        // Image state.
        yield return Case("dirty_lazy_refcounts", p =>
        {
            Qemu.CreateQcow2(p, "64M", "lazy_refcounts=on");
            var result = ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "write -P 0x11 0 128k", "-c", "abort", p]);
            Assert.That(result.ExitCode, Is.Not.Zero, "qemu-io abort should leave the image dirty");
        });
        yield return Edit("marked_corrupt", e => e.SetU64(72, e.U64(72) | 0x2));
        yield return Edit("truncated_file", e => e.SetLength(e.Length - e.ClusterSize));
        yield return Edit("truncated_mid_cluster", e => e.SetLength(e.Length - e.ClusterSize / 2));
        yield return Edit("l1_table_beyond_eof", e => e.SetU64(40, (ulong)e.Length + 8UL * (ulong)e.ClusterSize));
        yield return Edit("refcount_table_beyond_eof", e => e.SetU64(48, (ulong)e.Length + 8UL * (ulong)e.ClusterSize));
        yield return Edit("refcount_table_clusters_zero", e => e.SetU32(56, 0));

        // Header faults that stop qemu from opening the image.
        yield return Edit("header_bad_magic", e => e.SetU32(0, 0x514649fa));
        yield return Edit("header_version_1", e => e.SetU32(4, 1));
        yield return Edit("header_version_4", e => e.SetU32(4, 4));
        yield return Edit("header_cluster_bits_8", e => e.SetU32(20, 8));
        yield return Edit("header_cluster_bits_22", e => e.SetU32(20, 22));
        yield return Edit("header_length_too_short", e => e.SetU32(100, 100));
        yield return Edit("header_length_beyond_cluster", e => e.SetU32(100, 0x20000));
        yield return Edit("header_backing_offset_beyond_cluster", e => { e.SetU64(8, 0x20000); e.SetU32(16, 4); });
        yield return Edit("header_refcount_order_7", e => e.SetU32(96, 7));
        yield return Edit("header_unknown_incompatible_bit", e => e.SetU64(72, e.U64(72) | (1UL << 20)));
        yield return Edit("header_l1_too_small", e => e.SetU32(36, 0));
        yield return Edit("header_l1_offset_unaligned", e => e.SetU64(40, e.L1Offset + 8));
        yield return Edit("header_l1_too_large", e => e.SetU32(36, 0x4000001));
        yield return Edit("header_reftable_offset_unaligned", e => e.SetU64(48, e.RefcountTableOffset + 8));
        yield return Edit("header_reftable_too_large", e => e.SetU32(56, 0x1000));
        yield return Edit("header_crypt_method_3", e => e.SetU32(32, 3));
        yield return Edit("header_compression_type_bit_without_type", e => e.SetU64(72, e.U64(72) | (1UL << 3)));
        yield return Edit("header_huge_virtual_size", e => e.SetU64(24, 1UL << 62));
        yield return Case("header_truncated_to_64_bytes", p =>
        {
            Base(p);
            using var e = new QcowFileEditor(p);
            e.SetLength(64);
        });
    }

    /// <summary>Bytes from one snapshot table entry to the next (entries are 8-byte aligned).</summary>
    private static ulong SnapshotEntryLength(QcowFileEditor e, ulong entry)
    {
        var sizes = e.U32(entry + 12);
        var length = 40UL + e.U32(entry + 36) + (sizes >> 16) + (sizes & 0xffff);
        return (length + 7) & ~7UL;
    }

    /// <summary>Offset of the bitmap directory, from the bitmaps header extension.</summary>
    internal static ulong BitmapDirectoryOffset(string path)
    {
        var extension = BitmapsExtensionOffset(path);
        using var e = new QcowFileEditor(path);
        return e.U64(extension + 8 + 16);
    }

    /// <summary>File offset of the bitmaps header extension (type 0x23852875), at its type field.</summary>
    internal static ulong BitmapsExtensionOffset(string path)
    {
        using var e = new QcowFileEditor(path);
        var offset = (ulong)e.U32(100);
        while (offset + 8 <= (ulong)e.ClusterSize)
        {
            var type = e.U32(offset);
            var length = e.U32(offset + 4);
            if (type == 0) break;
            if (type == 0x23852875) return offset;
            offset += 8 + ((length + 7) & ~7U);
        }
        throw new InvalidOperationException("no bitmaps extension");
    }
}
