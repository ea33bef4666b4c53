using System.Buffers.Binary;
using System.Text.Json.Nodes;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Amend;

/// <summary>
/// The same starting image amended by qemu-img and by QcowKit, side by side: both clean, same info fields that
/// amend changes, same guest bytes as before; and QcowKit refuses (without writing) where qemu refuses.
/// </summary>
[TestFixture]
public sealed class AmendTests
{
    private const string DataWorkload = "write -P 0x11 0 256k";

    /// <summary>Data, a zero cluster without a host cluster, and one with (written, then zeroed in place).</summary>
    private static readonly string[] ZeroWorkload = [DataWorkload, "write -z 512k 128k", "write -P 0x22 1M 64k", "write -z 1M 64k", "write -P 0x33 3M 100k"];

    private static readonly string[] InfoFields = ["virtual-size", "backing-filename", "backing-filename-format", "full-backing-filename"];

    private static readonly string[] SpecificFields = ["compat", "lazy-refcounts", "refcount-bits", "compression-type", "extended-l2", "data-file", "data-file-raw", "bitmaps"];

    [Test]
    public void Upgrade_from_0_10_to_1_1_matches_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", "compat=0.10");
        Qemu.Io(start, DataWorkload, "write -P 0x44 2M 64k");
        Qemu.ImgOk("snapshot", "-c", "s1", start);
        Qemu.Io(start, "write -P 0x55 0 64k");
        var (ours, theirs) = SideBySide(temp, start, "compat=1.1");
        Assert.That(Specific(ours)["compat"]!.GetValue<string>(), Is.EqualTo("1.1"));
        AssertSnapshotsEqual(temp, ours, theirs, "s1");
    }

    [Test]
    public void Downgrade_expands_zero_clusters_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", "lazy_refcounts=on");
        Qemu.Io(start, ZeroWorkload);
        AssertHasBothKindsOfZeroClusters(start);
        var (ours, _) = SideBySide(temp, start, "compat=0.10");
        Assert.That(Specific(ours)["compat"]!.GetValue<string>(), Is.EqualTo("0.10"));
        Assert.That(Qemu.Map(ours).Any(e => e!["zero"]!.GetValue<bool>() && e["present"]!.GetValue<bool>()), Is.False,
            "a version 2 image has no zero flag: every zero range must be unallocated or written zeros");
    }

    [Test]
    public void Downgrade_with_a_backing_file_and_a_snapshot_matches_qemu()
    {
        using var temp = new TempDirectory("amend");
        var backing = temp.File("base.qcow2");
        Qemu.CreateQcow2(backing, "4M");
        Qemu.Io(backing, "write -P 0x77 0 4M");
        var start = temp.File("start.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", start, "4M");
        Qemu.Io(start, ZeroWorkload);
        AssertHasBothKindsOfZeroClusters(start);
        Qemu.ImgOk("snapshot", "-c", "s1", start);
        Qemu.Io(start, "write -z 2M 128k", "write -P 0x66 0 64k");
        var (ours, theirs) = SideBySide(temp, start, "compat=0.10");
        Assert.That(Specific(ours)["compat"]!.GetValue<string>(), Is.EqualTo("0.10"));
        Assert.That(Qemu.Info(ours)["backing-filename"]!.GetValue<string>(), Is.EqualTo("base.qcow2"));
        AssertSnapshotsEqual(temp, ours, theirs, "s1");
    }

    [TestCase("", "refcount_bits=1")]
    [TestCase("", "refcount_bits=64")]
    [TestCase("refcount_bits=64", "refcount_bits=2")]
    [TestCase("cluster_size=512", "refcount_bits=64")]
    [TestCase("cluster_size=512,refcount_bits=64", "refcount_bits=1")]
    public void Refcount_width_change_matches_qemu(string create, string amend)
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "3M", create);
        // With 512-byte clusters and 64-bit refcounts this needs more refcount blocks than one table cluster holds.
        Qemu.Io(start, "write -P 0x11 0 2M", "write -z 2M 256k", "write -P 0x12 2560k 256k");
        var (ours, _) = SideBySide(temp, start, amend);
        Assert.That(Specific(ours)["refcount-bits"]!.GetValue<int>(), Is.EqualTo(int.Parse(amend["refcount_bits=".Length..], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Narrowing_refcounts_below_a_snapshot_share_is_refused_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M");
        Qemu.Io(start, DataWorkload);
        Qemu.ImgOk("snapshot", "-c", "s1", start);
        RefusedLikeQemu(temp, start, "refcount_bits=1");
    }

    [TestCase("", "lazy_refcounts=on")]
    [TestCase("lazy_refcounts=on", "lazy_refcounts=off")]
    [TestCase("compat=0.10", "compat=1.1,lazy_refcounts=on")]
    public void Lazy_refcounts_change_matches_qemu(string create, string amend)
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", create);
        Qemu.Io(start, ZeroWorkload);
        var (ours, _) = SideBySide(temp, start, amend);
        Assert.That(Specific(ours)["lazy-refcounts"]!.GetValue<bool>(), Is.EqualTo(amend.EndsWith("on", StringComparison.Ordinal)));
    }

    [TestCase("lazy_refcounts=off")]
    [TestCase("refcount_bits=8")]
    public void Amending_a_dirty_image_repairs_it_first_like_qemu(string amend)
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", "lazy_refcounts=on");
        // abort leaves the dirty bit set and the refcounts of the new clusters unwritten.
        ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "write -P 0x21 0 1M", "-c", "abort", start]);
        Assert.That(Dirty(start), Is.True);
        Assert.That(Qemu.Check(start).ExitCode, Is.EqualTo(2), "the dirty image must start with stale refcounts");
        var (ours, _) = SideBySide(temp, start, amend);
        Assert.That(Dirty(ours), Is.False);
    }

    [Test]
    public void Backing_file_may_be_restated_but_not_changed_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "4M");
        Qemu.CreateQcow2(temp.File("other.qcow2"), "4M");
        var start = temp.File("start.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", start, "4M");
        Qemu.Io(start, DataWorkload);
        SideBySide(temp, start, "backing_file=base.qcow2,backing_fmt=qcow2");
        RefusedLikeQemu(temp, start, "backing_file=other.qcow2,backing_fmt=qcow2");
        RefusedLikeQemu(temp, start, "backing_fmt=raw");
    }

    [Test]
    public void Size_grows_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", "cluster_size=4k");
        Qemu.Io(start, ZeroWorkload);
        var (ours, _) = SideBySide(temp, start, "size=20M", sameGuestBytes: false);
        Assert.That(Qemu.Info(ours)["virtual-size"]!.GetValue<long>(), Is.EqualTo(20L << 20));
    }

    [Test]
    public void Size_shrinks_like_qemu_when_nothing_is_allocated_past_the_new_end()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M");
        Qemu.Io(start, DataWorkload);
        var (ours, _) = SideBySide(temp, start, "size=1M", sameGuestBytes: false);
        Assert.That(Qemu.Info(ours)["virtual-size"]!.GetValue<long>(), Is.EqualTo(1L << 20));
    }

    [Test]
    public void Size_shrink_over_allocated_data_is_refused_before_any_change()
    {
        // qemu discards the data past the new end; QcowKit's resize refuses instead, and an amend decides that first.
        using var temp = new TempDirectory("amend");
        var path = temp.File("start.qcow2");
        Qemu.CreateQcow2(path, "4M", "compat=0.10");
        Qemu.Io(path, ZeroWorkload[0], ZeroWorkload[^1]);
        AssertRefusedWithoutWriting(path, "compat=1.1,size=1M", "is allocated");
    }

    [Test]
    public void Cancelled_amend_writes_nothing()
    {
        using var temp = new TempDirectory("amend");
        var path = temp.File("start.qcow2");
        Qemu.CreateQcow2(path, "4M");
        Qemu.Io(path, DataWorkload);
        var before = Hashing.Sha256OfFile(path);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.That(() => QcowImage.Amend(path, QcowAmendOptions.Parse("refcount_bits=8"), null, cancelled.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Hashing.Sha256OfFile(path), Is.EqualTo(before));
    }

    [Test]
    public void Several_options_at_once_match_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", "compat=0.10");
        Qemu.Io(start, DataWorkload);
        SideBySide(temp, start, "compat=1.1,refcount_bits=8,lazy_refcounts=on,size=6M", sameGuestBytes: false);
    }

    [Test]
    public void Data_file_options_change_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", $"data_file={temp.File("data.raw")},data_file_raw=on");
        Qemu.Io(start, DataWorkload);
        var (ours, _) = SideBySide(temp, start, "data_file_raw=off");
        Assert.That(Specific(ours)["data-file-raw"]!.GetValue<bool>(), Is.False);
        File.Copy(temp.File("data.raw"), temp.File("moved.raw"));
        var (renamed, _) = SideBySide(temp, start, $"data_file={temp.File("moved.raw")}");
        Assert.That(Specific(renamed)["data-file"]!.GetValue<string>(), Is.EqualTo(temp.File("moved.raw")));
    }

    [TestCase("", "cluster_size=4096")]
    [TestCase("", "extended_l2=on")]
    [TestCase("", "compression_type=zstd")]
    [TestCase("", "preallocation=full")]
    [TestCase("", "encryption=on")]
    [TestCase("", "encrypt.keyslot=1")]
    [TestCase("", "foo=bar")]
    [TestCase("", "compat=2.0")]
    [TestCase("", "refcount_bits=3")]
    [TestCase("", "lazy_refcounts=maybe")]
    [TestCase("", "compat=0.10,lazy_refcounts=on")]
    [TestCase("compat=0.10", "refcount_bits=8")]
    [TestCase("", "data_file=x.raw")]
    [TestCase("", "data_file_raw=on")]
    [TestCase("extended_l2=on", "compat=0.10")]
    [TestCase("refcount_bits=8", "compat=0.10")]
    [TestCase("DATAFILE", "compat=0.10")]
    public void Refuses_what_qemu_refuses_without_writing(string create, string amend)
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", create == "DATAFILE" ? $"data_file={temp.File("data.raw")}" : create);
        Qemu.Io(start, DataWorkload);
        RefusedLikeQemu(temp, start, amend);
    }

    [Test]
    public void Refcount_width_change_keeps_persistent_bitmaps_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M");
        Qemu.ImgOk("bitmap", "--add", start, "b1");
        Qemu.Io(start, DataWorkload);
        var (ours, _) = SideBySide(temp, start, "refcount_bits=32");
        Assert.That(Specific(ours)["bitmaps"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public void Downgrade_with_persistent_bitmaps_is_refused_before_any_change()
    {
        // qemu 7.2 downgrades and leaves the bitmaps' clusters leaking; QcowKit refuses instead.
        using var temp = new TempDirectory("amend");
        var path = temp.File("start.qcow2");
        Qemu.CreateQcow2(path, "4M");
        Qemu.ImgOk("bitmap", "--add", path, "b1");
        AssertRefusedWithoutWriting(path, "compat=0.10", "persistent bitmaps");
    }

    [Test]
    public void A_data_file_name_that_does_not_fit_the_header_is_refused_before_any_change()
    {
        using var temp = new TempDirectory("amend");
        var path = temp.File("start.qcow2");
        Qemu.CreateQcow2(path, "1M", $"cluster_size=512,data_file={temp.File("data.raw")}");
        AssertRefusedWithoutWriting(path, $"lazy_refcounts=on,data_file={new string('d', 600)}", "does not fit");
    }

    [Test]
    public void Downgrade_refuses_zstd_with_compressed_clusters_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", "compression_type=zstd");
        Qemu.Io(start, "write -c -P 0x41 0 64k");
        RefusedLikeQemu(temp, start, "compat=0.10");
    }

    [Test]
    public void Downgrade_of_zstd_without_compressed_clusters_switches_to_zlib_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", "compression_type=zstd");
        Qemu.Io(start, DataWorkload);
        var (ours, _) = SideBySide(temp, start, "compat=0.10");
        Assert.That(Specific(ours)["compression-type"]!.GetValue<string>(), Is.EqualTo("zlib"));
    }

    [Test]
    public void Downgrade_with_internal_snapshots_of_another_size_is_refused_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M");
        Qemu.ImgOk("snapshot", "-c", "s1", start);
        Qemu.ImgOk("resize", "-q", start, "8M");
        RefusedLikeQemu(temp, start, "compat=0.10");
    }

    [Test]
    public void Upgrade_rewrites_a_legacy_snapshot_table_like_qemu()
    {
        using var temp = new TempDirectory("amend");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "4M", "compat=0.10");
        Qemu.Io(start, DataWorkload);
        Qemu.ImgOk("snapshot", "-c", "s1", start);
        Qemu.Io(start, "write -P 0x55 0 64k");
        LegacySnapshotTable.DropExtraData(start);
        var (ours, theirs) = SideBySide(temp, start, "compat=1.1");
        AssertSnapshotsEqual(temp, ours, theirs, "s1");
        Assert.That(SnapshotExtraDataSize(ours), Is.GreaterThanOrEqualTo(16));
    }

    [Test]
    public void Progress_rises_to_the_total()
    {
        using var temp = new TempDirectory("amend");
        var path = temp.File("p.qcow2");
        Qemu.CreateQcow2(path, "4M", "compat=0.10");
        Qemu.Io(path, DataWorkload);
        var reports = new List<QcowAmendProgress>();
        QcowImage.Amend(path, QcowAmendOptions.Parse("compat=1.1,refcount_bits=8"), new SyncProgress(reports));
        Assert.That(reports, Is.Not.Empty);
        Assert.That(reports.Select(r => r.Done), Is.Ordered);
        Assert.That(reports[^1].Fraction, Is.EqualTo(1.0));
    }

    /// <summary>Amends copies of <paramref name="start"/> with qemu-img and QcowKit; both must succeed and agree.</summary>
    private static (string Ours, string Theirs) SideBySide(TempDirectory temp, string start, string options, bool sameGuestBytes = true)
    {
        var name = Guid.NewGuid().ToString("N")[..8];
        var ours = temp.File($"ours-{name}.qcow2");
        var theirs = temp.File($"theirs-{name}.qcow2");
        File.Copy(start, ours);
        File.Copy(start, theirs);
        var qemu = Qemu.Img("amend", "-f", "qcow2", "-o", options, theirs);
        Assert.That(qemu.ExitCode, Is.Zero, () => $"qemu-img amend -o {options}: {qemu.Describe()}");
        QcowImage.Amend(ours, QcowAmendOptions.Parse(options));

        var (exitCode, report, raw) = Qemu.Check(ours);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(report?["leaks"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
        var ourInfo = Qemu.Info(ours);
        var theirInfo = Qemu.Info(theirs);
        foreach (var field in InfoFields)
        {
            Assert.That(ourInfo[field]?.ToJsonString().Replace(ours, theirs, StringComparison.Ordinal), Is.EqualTo(theirInfo[field]?.ToJsonString()), field);
        }
        var ourSpecific = ourInfo["format-specific"]!["data"]!;
        var theirSpecific = theirInfo["format-specific"]!["data"]!;
        foreach (var field in SpecificFields)
        {
            Assert.That(ourSpecific[field]?.ToJsonString(), Is.EqualTo(theirSpecific[field]?.ToJsonString()), field);
        }
        if (sameGuestBytes)
        {
            Assert.That(Qemu.Compare(start, ours), Is.Zero, "guest bytes changed");
        }
        Assert.That(Qemu.Compare(ours, theirs), Is.Zero, "qemu-img compare of QcowKit's and qemu's result");
        return (ours, theirs);
    }

    /// <summary>QcowKit refuses the amend with a message containing <paramref name="messagePart"/>, and the file is byte for byte as before.</summary>
    private static void AssertRefusedWithoutWriting(string path, string options, string messagePart)
    {
        var before = Hashing.Sha256OfFile(path);
        Assert.That(() => QcowImage.Amend(path, QcowAmendOptions.Parse(options)),
            Throws.InstanceOf<QcowOptionsException>().With.Message.Contains(messagePart));
        Assert.That(Hashing.Sha256OfFile(path), Is.EqualTo(before));
    }

    /// <summary>qemu-img refuses with exit 1; QcowKit throws with qemu's message and leaves every byte of the file as it was.</summary>
    private static void RefusedLikeQemu(TempDirectory temp, string start, string options)
    {
        var name = Guid.NewGuid().ToString("N")[..8];
        var ours = temp.File($"ours-{name}.qcow2");
        var theirs = temp.File($"theirs-{name}.qcow2");
        File.Copy(start, ours);
        File.Copy(start, theirs);
        var qemu = Qemu.Img("amend", "-f", "qcow2", "-o", options, theirs);
        Assert.That(qemu.ExitCode, Is.EqualTo(1), qemu.Describe);
        var qemuMessage = qemu.StandardError.Trim().Replace("qemu-img: ", "", StringComparison.Ordinal).ReplaceLineEndings("\n");
        var before = Hashing.Sha256OfFile(ours);
        Assert.That(() => QcowImage.Amend(ours, QcowAmendOptions.Parse(options)),
            Throws.InstanceOf<QcowOptionsException>().With.Message.EqualTo(qemuMessage));
        Assert.That(Hashing.Sha256OfFile(ours), Is.EqualTo(before), "a refused amend must not write");
    }

    private static JsonObject Specific(string path) => (JsonObject)Qemu.Info(path)["format-specific"]!["data"]!;

    private static bool Dirty(string path)
    {
        using var file = File.OpenHandle(path);
        var field = new byte[8];
        RandomAccess.Read(file, field, 72);
        return (BinaryPrimitives.ReadUInt64BigEndian(field) & 1) != 0;
    }

    private static void AssertHasBothKindsOfZeroClusters(string path)
    {
        var map = Qemu.Map(path);
        Assert.That(map.Any(e => e!["zero"]!.GetValue<bool>() && e["present"]!.GetValue<bool>() && e["offset"] is null), Is.True, "no zero cluster without a host cluster");
        Assert.That(map.Any(e => e!["zero"]!.GetValue<bool>() && e["present"]!.GetValue<bool>() && e["offset"] is not null), Is.True, "no zero cluster with a host cluster");
    }

    /// <summary>The snapshot's guest bytes read the same from both images (each reverted in a copy).</summary>
    private static void AssertSnapshotsEqual(TempDirectory temp, string ours, string theirs, string snapshot)
    {
        var oursCopy = temp.File($"snap-ours-{Guid.NewGuid():N}.qcow2");
        var theirsCopy = temp.File($"snap-theirs-{Guid.NewGuid():N}.qcow2");
        File.Copy(ours, oursCopy);
        File.Copy(theirs, theirsCopy);
        Qemu.ImgOk("snapshot", "-a", snapshot, oursCopy);
        Qemu.ImgOk("snapshot", "-a", snapshot, theirsCopy);
        Assert.That(Qemu.Compare(oursCopy, theirsCopy), Is.Zero, $"snapshot {snapshot} differs");
        Assert.That(Qemu.Check(oursCopy).ExitCode, Is.Zero);
    }

    private static int SnapshotExtraDataSize(string path)
    {
        using var file = File.OpenHandle(path);
        var header = new byte[72];
        RandomAccess.Read(file, header, 0);
        var offset = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(64));
        var entry = new byte[40];
        RandomAccess.Read(file, entry, offset);
        return (int)BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(36));
    }

    private sealed class SyncProgress(List<QcowAmendProgress> reports) : IProgress<QcowAmendProgress>
    {
        public void Report(QcowAmendProgress value) => reports.Add(value);
    }
}
