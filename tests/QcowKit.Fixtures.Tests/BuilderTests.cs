using System.Text;
using System.Text.Json;
using QcowKit.Fixtures.Content;
using QcowKit.Format;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

public class BuilderTests
{
    [Test]
    public void Fluent_builder_writes_an_image_qemu_reads_back_to_the_expected_guest_bytes()
    {
        using var temp = new TempDirectory("fixture-builder");
        var built = QcowFixture.Create(256 * 1024)
            .WithClusterSize(8192)
            .WithRefcountBits(8)
            .WithCompression(CompressionType.Zstd, fraction: 0.5)
            .WithSeed(5)
            .WithContent(c => c.Text(16 * 1024).Json(16 * 1024).Hole(32 * 1024).LogLines(8192).Zeros(8192).RandomBinary(8192).Bytes(Encoding.ASCII.GetBytes("hello fixture")))
            .Build(temp.File("custom.qcow2"));
        Assert.That(built.Expected.CheckExitCode, Is.Zero);
        Assert.That(QemuVerdict.Of(built.ImagePath), Is.EqualTo(built.Expected));
        Assert.That(Qemu.Info(built.ImagePath)["format-specific"]!["data"]!["compression-type"]!.GetValue<string>(), Is.EqualTo("zstd"));
    }

    [Test]
    public void WithFeatures_maps_known_bits_to_options_and_keeps_unknown_bits_raw()
    {
        var options = QcowFixture.Create(1024 * 1024)
            .WithFeatures(IncompatibleFeatures.Dirty | IncompatibleFeatures.ExtendedL2 | IncompatibleFeatures.CompressionType | (IncompatibleFeatures)(1UL << 33),
                CompatibleFeatures.LazyRefcounts | (CompatibleFeatures)(1UL << 7), AutoclearFeatures.Bitmaps)
            .Options;
        Assert.That(options.Dirty && options.ExtendedL2 && options.LazyRefcounts, Is.True);
        Assert.That(options.CompressionType, Is.EqualTo(CompressionType.Zstd));
        Assert.That(options.Bitmaps, Is.EqualTo(1));
        Assert.That(options.ExtraIncompatibleBits, Is.EqualTo(1UL << 33));
        Assert.That(options.ExtraCompatibleBits, Is.EqualTo(1UL << 7));
    }

    [Test]
    public void Unknown_incompatible_bit_from_the_builder_gives_an_image_qemu_refuses()
    {
        using var temp = new TempDirectory("fixture-unknown-bit");
        var built = QcowFixture.Create(64 * 1024).WithClusterSize(4096).WithRawFeatureBits(incompatible: 1UL << 20).Build(temp.File("bit20.qcow2"));
        Assert.That(built.Expected.CanOpen, Is.False);
        Assert.That(QemuVerdict.Of(built.ImagePath), Is.EqualTo(built.Expected));
    }

    [Test]
    public void A_corruption_combined_with_other_features_keeps_its_verdict_in_qemu()
    {
        using var temp = new TempDirectory("fixture-combined");
        var built = QcowFixture.From(CorruptionCatalogue.DefaultBase)
            .WithRefcountBits(64)
            .WithLazyRefcounts()
            .Corrupt(Corruption.RefcountZero)
            .Build(temp.File("refcount-zero-64.qcow2"));
        Assert.That(QemuVerdict.Of(built.ImagePath), Is.EqualTo(built.Expected));
    }

    [Test]
    public void Snapshots_come_from_the_engine_also_next_to_composed_bitmaps_and_header_bits()
    {
        using var temp = new TempDirectory("fixture-snapshots");
        var built = QcowFixture.Create(256 * 1024)
            .WithClusterSize(4096)
            .WithSnapshots(2)
            .WithBitmaps(2)
            .WithLazyRefcounts()
            .WithDirtyBit()
            .WithSeed(9)
            .Build(temp.File("snapshots-bitmaps.qcow2"));
        Assert.That(QemuVerdict.Of(built.ImagePath), Is.EqualTo(built.Expected));
        var info = Qemu.Info(built.ImagePath);
        Assert.That(info["snapshots"]!.AsArray().Select(s => (s!["id"]!.GetValue<string>(), s["name"]!.GetValue<string>(), s["date-sec"]!.GetValue<long>())),
            Is.EqualTo(new[] { ("1", "snap1", 1_704_067_200L), ("2", "snap2", 1_704_070_800L) }));
        var data = info["format-specific"]!["data"]!;
        Assert.That(data["bitmaps"]!.AsArray().Select(b => b!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "bitmap0", "bitmap1" }));
        Assert.That(data["bitmaps"]!.AsArray().SelectMany(b => b!["flags"]!.AsArray()).Select(f => f!.GetValue<string>()), Does.Not.Contain("in-use"));
        Assert.That(info["dirty-flag"]!.GetValue<bool>(), Is.True);
    }

    [Test]
    public void A_corruption_that_needs_a_missing_feature_is_refused_with_the_reason()
    {
        using var temp = new TempDirectory("fixture-refused");
        var builder = QcowFixture.Create(64 * 1024).WithClusterSize(4096).Corrupt(Corruption.CopiedOnSharedCluster);
        Assert.That(() => builder.Build(temp.File("x.qcow2")), Throws.ArgumentException.With.Message.Contains("snapshot"));
    }

    [Test]
    public void Invalid_option_combinations_are_refused()
    {
        Assert.That(() => QcowFixture.Create(64 * 1024).WithClusterSize(4096).WithExtendedL2().Build(Path.GetTempFileName()),
            Throws.ArgumentException.With.Message.Contains("16 KiB"));
        Assert.That(() => QcowFixture.Create(64 * 1024).WithVersion(2).WithCompression(CompressionType.Zstd).Build(Path.GetTempFileName()),
            Throws.ArgumentException.With.Message.Contains("version 2"));
    }

    [TestCase(Corruption.SnapshotL1SizeTooLarge, 65536, 16)]
    [TestCase(Corruption.L2TableOverlapsRefcountBlock, 512, 16)]
    [TestCase(Corruption.L2EntryReservedBits, 16384, 8)]
    [TestCase(Corruption.RefcountTableEntryBeyondEof, 4096, 1)]
    public void Counts_are_those_of_the_image_built_not_of_the_catalogue_fixture(Corruption corruption, int clusterSize, int refcountBits)
    {
        using var temp = new TempDirectory("fixture-counts");
        var built = QcowFixture.From(CorruptionCatalogue.DefaultBase)
            .WithClusterSize(clusterSize)
            .WithRefcountBits(refcountBits)
            .WithExtendedL2(clusterSize >= 16384)
            .WithSnapshots(refcountBits > 1 ? 1 : 0)
            .Corrupt(corruption)
            .Build(temp.File("counts.qcow2"));
        Assert.That(QemuVerdict.Of(built.ImagePath), Is.EqualTo(built.Expected));
    }

    [Test]
    public void Clusters_of_512_bytes_hold_snapshots_bitmaps_and_a_backing_file_without_the_feature_name_table()
    {
        using var temp = new TempDirectory("fixture-512");
        var built = QcowFixture.Create(256 * 1024)
            .WithClusterSize(512)
            .WithSnapshots(2)
            .WithBitmaps(2)
            .WithBacking()
            .WithCompression(CompressionType.Deflate, 0.5)
            .Build(temp.File("small-clusters.qcow2"));
        Assert.That(QemuVerdict.Of(built.ImagePath), Is.EqualTo(built.Expected));
        Assert.That(built.Expected.CheckExitCode, Is.Zero);
    }

    [Test]
    public void Two_bit_refcounts_that_a_snapshot_would_overflow_are_refused_by_option_names_before_anything_is_written()
    {
        using var temp = new TempDirectory("fixture-refcount-2");
        var builder = QcowFixture.Create(256 * 1024).WithClusterSize(2048).WithRefcountBits(2).WithSnapshots(2).WithCompression(CompressionType.Deflate, 0.5);
        Assert.That(() => builder.Build(temp.File("overflow.qcow2")),
            Throws.ArgumentException.With.Message.Contains("RefcountBits 2").And.Message.Contains("Snapshots").And.Message.Contains("CompressedFraction"));
        Assert.That(Directory.EnumerateFileSystemEntries(temp.Path), Is.Empty);
    }

    [Test]
    public void Cached_builder_builds_each_fixture_once_per_process()
    {
        var first = QcowFixtures.Get("clean-v3");
        var second = QcowFixtures.Get(QcowFixtures.Find("clean-v3"));
        Assert.That(second, Is.SameAs(first));
        Assert.That(File.Exists(first.ImagePath), Is.True);
    }

    [Test]
    public void Test_case_sources_list_clean_and_corrupted_fixtures_by_name()
    {
        Assert.That(QcowFixtures.Clean.All(d => d.Corruption is null), Is.True);
        Assert.That(QcowFixtures.Corrupted.Select(d => d.Corruption), Is.EquivalentTo(Enum.GetValues<Corruption>().Cast<Corruption?>()));
        Assert.That(QcowFixtures.All.Select(d => d.ToString()), Is.Unique);
    }
}

public class ContentTests
{
    private static byte[] Generate(ContentKind kind, int seed, int length = 8192)
    {
        var bytes = new byte[length];
        ContentGenerator.Generate(new ContentSegment(kind, length), seed, 0, bytes);
        return bytes;
    }

    [Test]
    public void Same_seed_gives_the_same_bytes_and_another_seed_other_bytes()
    {
        foreach (var kind in new[] { ContentKind.Text, ContentKind.Json, ContentKind.LogLines, ContentKind.RandomBinary })
        {
            var again = Generate(kind, 3);
            Assert.That(Generate(kind, 3), Is.EqualTo(again), kind.ToString());
            Assert.That(Generate(kind, 3), Is.Not.EqualTo(Generate(kind, 4)), kind.ToString());
        }
    }

    [Test]
    public void Json_content_is_one_parseable_record_per_line()
    {
        var lines = Encoding.UTF8.GetString(Generate(ContentKind.Json, 3)).Split('\n');
        foreach (var line in lines[..^1])
        {
            using var document = JsonDocument.Parse(line);
            Assert.That(document.RootElement.GetProperty("email").GetString(), Does.Contain("@"));
        }
    }

    [Test]
    public void Log_lines_carry_timestamps_counted_from_the_fixed_reference_date()
    {
        var first = Encoding.UTF8.GetString(Generate(ContentKind.LogLines, 3)).Split('\n')[0];
        Assert.That(first, Does.Match(@"^2024-01-01T00:00:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) \["));
    }

    [Test]
    public void Zeros_and_holes_are_zero_bytes()
    {
        Assert.That(Generate(ContentKind.Zeros, 3).All(b => b == 0), Is.True);
        Assert.That(Generate(ContentKind.Hole, 3).All(b => b == 0), Is.True);
    }
}
