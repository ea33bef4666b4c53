using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>
/// Repair side by side: qemu-img check -r on one copy, QcowChecker on another. The reported repair
/// counts must be equal, the repaired copies must get the same qemu-img check verdict and the same
/// qemu-img snapshot -l listing, and the guest bytes must be the same in both copies.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class CheckRepairTests
{
    /// <summary>-r leaks on leaks only, on leaks with corruptions (COPIED not touched), on an image that needs a rebuild (refused), and on snapshot table faults (left alone).</summary>
    private static readonly HashSet<string> LeakRepairCases =
    [
        "leak_refcount_too_high", "leak_unreferenced_cluster", "leak_many", "refcount_bits_1_leak", "copied_flag_set_with_refcount_2",
        "refcount_too_low_shared_by_snapshot", "refcount_zero_on_data_cluster", "dirty_lazy_refcounts", "l1_entry_unaligned", "l2_preallocated_zero_unaligned",
        "snapshot_extra_data_incomplete", "snapshot_count_too_big",
    ];

    /// <summary>
    /// qemu-img check -r opens the image read-write, and qemu stores persistent bitmaps again when it closes
    /// such an image (new bitmap directory and tables, old ones freed). Where a data cluster shares a cluster
    /// with the bitmap directory that store itself damages the repaired image, so only the -r verdicts are
    /// compared, not the state qemu leaves behind. QcowKit's repair does not rewrite bitmaps.
    /// </summary>
    private static readonly HashSet<string> QemuRestoresBitmapsOnClose = ["data_cluster_on_bitmap_directory"];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var c in CheckCorpus.Images())
        {
            if (c.Name.StartsWith("header_", StringComparison.Ordinal) || c.Name.StartsWith("clean_", StringComparison.Ordinal)) continue;
            yield return new TestCaseData(c, QcowRepairMode.All).SetArgDisplayNames(c.Name, "all");
            if (LeakRepairCases.Contains(c.Name))
            {
                yield return new TestCaseData(c, QcowRepairMode.Leaks).SetArgDisplayNames(c.Name, "leaks");
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Repair_matches_qemu_img_check_repair(CorpusCase corpusCase, QcowRepairMode mode)
    {
        using var temp = new TempDirectory("repair-" + corpusCase.Name);
        var qemuCopy = temp.File("qemu.qcow2");
        var ourCopy = temp.File("ours.qcow2");
        corpusCase.Build(qemuCopy);
        File.Copy(qemuCopy, ourCopy);
        var hasSnapshots = NbSnapshots(qemuCopy) != 0;
        var flag = mode == QcowRepairMode.All ? "all" : "leaks";

        var qemu = Qemu.Check(qemuCopy, flag);
        var ours = QcowChecker.Check(ourCopy, new QcowCheckOptions { Repair = mode });
        TestContext.Out.WriteLine($"qemu-img check -r {flag}: exit {qemu.ExitCode}\n{qemu.Report?.ToJsonString()}\n{qemu.Raw.StandardError[..Math.Min(3000, qemu.Raw.StandardError.Length)]}");
        TestContext.Out.WriteLine($"QcowChecker: exit {ours.QemuExitCode}\n{QcowCheckJson.Serialize(ours)}");
        CheckCorpusTests.AssertSameVerdict(qemu.ExitCode, qemu.Report, ours);

        if (qemu.ExitCode == 1 || QemuRestoresBitmapsOnClose.Contains(corpusCase.Name))
        {
            // qemu's repair aborted half-way (e.g. it refused a write onto overlapping metadata and dropped its caches):
            // its file is in no defined state, so only the verdicts are compared.
            return;
        }
        var qemuAfter = Qemu.Check(qemuCopy);
        var oursAfter = Qemu.Check(ourCopy);
        Assert.That(oursAfter.ExitCode, Is.EqualTo(qemuAfter.ExitCode), "qemu-img check verdict after repair");
        if (qemuAfter.Report is not null && oursAfter.Report is not null)
        {
            foreach (var key in new[] { "check-errors", "corruptions", "leaks", "allocated-clusters" })
            {
                Assert.That(CheckCorpusTests.Count(oursAfter.Report, key), Is.EqualTo(CheckCorpusTests.Count(qemuAfter.Report, key)), key + " after repair");
            }
        }
        // Guest bytes are comparable where qemu calls the repaired image consistent (clean or leaks only).
        if (qemuAfter.ExitCode is 0 or 3)
        {
            Assert.That(GuestBytes(ourCopy, qemuCopy), Is.EqualTo("same"), "guest bytes after repair");
        }
        if (hasSnapshots)
        {
            Assert.That(SnapshotList(ourCopy), Is.EqualTo(SnapshotList(qemuCopy)), "qemu-img snapshot -l after repair");
        }
    }

    /// <summary>nb_snapshots from the header; images without snapshots skip the listing comparison (it lists nothing).</summary>
    private static uint NbSnapshots(string path)
    {
        using var e = new QcowFileEditor(path);
        return e.Length >= 64 ? e.U32(60) : 0;
    }

    /// <summary>
    /// "same" when qemu-img compare finds the guest bytes equal; otherwise how each copy converts to raw, so
    /// that two copies qemu cannot read alike (e.g. a compressed cluster that does not inflate) also compare equal.
    /// </summary>
    private static string GuestBytes(string ours, string qemus)
    {
        if (Qemu.Compare(ours, qemus) == 0) return "same";
        var (mine, theirs) = (Readable(ours), Readable(qemus));
        return mine == theirs ? "same" : $"ours: {mine}, qemu's: {theirs}";

        static string Readable(string path)
        {
            var raw = path + ".raw";
            try
            {
                var convert = Qemu.Img("convert", "-U", "-O", "raw", path, raw);
                return convert.ExitCode == 0 ? Hashing.Sha256OfFile(raw) : $"unreadable (qemu-img convert exit {convert.ExitCode})";
            }
            finally
            {
                File.Delete(raw);
            }
        }
    }

    /// <summary>`qemu-img snapshot -l`: exit code and output, with the file name taken out of error messages.</summary>
    private static string SnapshotList(string path)
    {
        var result = Qemu.Img("snapshot", "-U", "-l", path);
        return $"exit {result.ExitCode}\n{result.StandardOutput}{result.StandardError}".Replace(path, "IMAGE", StringComparison.Ordinal);
    }
}
