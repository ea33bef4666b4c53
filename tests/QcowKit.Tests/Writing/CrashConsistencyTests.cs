using System.Diagnostics;
using QcowKit.Image;
using QcowKit.TestSupport;
using static QcowKit.Tests.Writing.WriteTestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>
/// Crash consistency, deterministically: a workload's host writes are recorded in order, then replayed onto a
/// copy of the starting image one write at a time, as if the writer had been killed after each of them. Every
/// prefix must be at worst leaking for qemu-img check (checked before every metadata write, which is every
/// distinct metadata state, and at the end), and must read back every completed operation intact, with
/// the interrupted operation's range holding either its old or its new bytes (checked at every cut). A
/// metadata write longer than a sector is also cut in half (a torn write). Inside snapshot create and delete
/// qemu-img check may also report COPIED flag mismatches, which no write order avoids (see
/// <see cref="RecordedWorkload.AssertOnlyCopiedFlagsDisagree"/>). The prefix model is the one of a killed process (its
/// writes are in the page cache in order), which is stronger than "flushed data intact". A power loss, which keeps
/// any subset of the writes since the last flush, is modelled by <see cref="PowerLossTests"/> on the same workload.
/// </summary>
[TestFixture]
public sealed class CrashConsistencyTests
{
    /// <summary>qemu-img compare of the cut image against the engine's reading of it, every this many checks.</summary>
    private const int QemuReadSample = 16;

    /// <summary>qemu-img check -r all on a copy of every this many cuts that need it (inside snapshot operations).</summary>
    private const int RepairSample = 4;

    [TestCase("cluster_size=512,refcount_bits=64", "3M", true, 32, 31, TestName = "Every_cut_leaves_an_image_at_worst_leaking_v3_512_byte_clusters_with_refcount_table_growth")]
    [TestCase("cluster_size=4k,lazy_refcounts=on", "2M", false, 32, 32, TestName = "Every_cut_leaves_an_image_at_worst_leaking_v3_lazy_refcounts")]
    [TestCase("compat=0.10,cluster_size=512", "1M", false, 32, 33, TestName = "Every_cut_leaves_an_image_at_worst_leaking_v2")]
    [TestCase("cluster_size=16k,extended_l2=on,refcount_bits=8", "2M", false, 32, 34, TestName = "Every_cut_leaves_an_image_at_worst_leaking_extended_l2")]
    public void Every_cut_leaves_an_image_at_worst_leaking_with_completed_data_intact(string options, string size, bool nearRefcountTableEnd, int operations, int seed)
        => RunCuts(options, size, nearRefcountTableEnd, operations, seed, snapshots: false);

    /// <summary>With a persistent dirty bitmap: marked in_use on the first write, stored again on close.</summary>
    [TestCase("cluster_size=4k", "2M", 24, 36)]
    public void Every_cut_leaves_an_image_with_a_persistent_bitmap_at_worst_leaking(string options, string size, int operations, int seed)
        => RunCuts(options, size, false, operations, seed, snapshots: false, bitmap: true);

    [TestCase("cluster_size=64k", "4M", 14, 35)]
    public void Every_cut_around_snapshot_create_and_delete_is_at_worst_leaking_or_a_repairable_copied_flag_mismatch(string options, string size, int operations, int seed)
        => RunCuts(options, size, false, operations, seed, snapshots: true);

    private static void RunCuts(string options, string size, bool nearRefcountTableEnd, int operations, int seed, bool snapshots, bool bitmap = false)
    {
        var watch = Stopwatch.StartNew();
        using var temp = new TempDirectory("crash");
        var workload = RecordedWorkload.Record(temp, options, size, nearRefcountTableEnd, operations, seed, snapshots, bitmap);
        var writes = workload.Writes;
        var ops = workload.Operations;
        var finalBytes = workload.FinalBytes;
        var start = workload.Start;
        var diskSize = workload.StartBytes.Length;

        var replay = temp.File("cut.qcow2");
        File.Copy(start, replay);
        var model = workload.StartBytes.ToArray();
        var checks = 0;
        var copiedFlagCuts = 0;
        var dataChecks = 0;
        var completed = 0;
        var lastFlush = -1;
        var actual = new byte[diskSize];
        var tornChecks = 0;

        void CheckMetadata(RecordedOperation? inFlight, Func<string> where)
        {
            var (exitCode, _, raw) = Qemu.Check(replay);
            if (exitCode == 2 && inFlight is { IsSnapshotOperation: true })
            {
                RecordedWorkload.AssertOnlyCopiedFlagsDisagree(replay, temp.File("repair.qcow2"), raw, repair: copiedFlagCuts % RepairSample == 0, where);
                copiedFlagCuts++;
            }
            else
            {
                Assert.That(exitCode, Is.EqualTo(0).Or.EqualTo(3), () => $"qemu-img check must find at worst leaks; {where()}\n{raw.Describe()}");
            }
            checks++;
        }

        void CheckData(RecordedOperation? inFlight, bool sampleQemu, Func<string> where)
        {
            using (var image = QcowImage.Open(replay))
            {
                image.Read(0, actual);
            }
            AssertIntact(actual, model, inFlight, where);
            dataChecks++;
            if (sampleQemu)
            {
                var expectedRaw = temp.File("cut.raw");
                File.WriteAllBytes(expectedRaw, actual);
                var compare = Qemu.Img("compare", "-U", "-f", "qcow2", "-F", "raw", replay, expectedRaw);
                Assert.That(compare.ExitCode, Is.Zero, () => $"qemu reads the cut image as the engine does; {where()}\n{compare.Describe()}");
            }
        }

        using (var handle = File.OpenHandle(replay, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            for (var cut = 0; cut <= writes.Count; cut++)
            {
                while (completed < ops.Count && ops[completed].End <= cut)
                {
                    var done = ops[completed];
                    done.After.CopyTo(model, done.Offset);
                    completed++;
                }
                var inFlight = completed < ops.Count && ops[completed].Start < cut ? ops[completed] : null;
                string Where() => $"cut after {cut} of {writes.Count} host writes (last flush at write {lastFlush}); "
                    + $"{completed} operations complete; interrupted: {inFlight?.Description ?? "none"}; next write: {RecordedWorkload.Describe(writes, cut)}";

                var atMetadataState = cut == writes.Count || writes[cut].IsMetadata;
                if (atMetadataState)
                {
                    CheckMetadata(inFlight, Where);
                }
                if (cut == writes.Count || !writes[cut].IsFlush)
                {
                    CheckData(inFlight, sampleQemu: atMetadataState && checks % QemuReadSample == 0, Where);
                }
                if (cut < writes.Count && writes[cut] is { IsMetadata: true, Data.Length: > 512 } large)
                {
                    // A torn write: only its first sectors reached the file (a kill can cut a long write between pages).
                    var torn = large.Data!.Length / 2 & ~511;
                    RandomAccess.Write(handle, large.Data.AsSpan(0, torn), large.Offset);
                    var tornOperation = completed < ops.Count ? ops[completed] : null;
                    string TornWhere() => $"{torn} of {large.Data.Length} bytes of write {cut} at {large.Offset} applied; " + Where();
                    CheckMetadata(tornOperation, TornWhere);
                    CheckData(tornOperation, sampleQemu: false, TornWhere);
                    tornChecks++;
                }
                if (cut < writes.Count)
                {
                    var write = writes[cut];
                    if (write.IsFlush)
                    {
                        lastFlush = cut;
                    }
                    else
                    {
                        RandomAccess.Write(handle, write.Data, write.Offset);
                    }
                }
            }
        }
        Assert.That(model, Is.EqualTo(finalBytes));
        AssertCleanAndEqual(replay, finalBytes, temp.Path);
        if (bitmap)
        {
            var stored = Qemu.Info(replay)["format-specific"]!["data"]!["bitmaps"]!.AsArray().Single()!;
            Assert.That(stored["flags"]!.AsArray().Select(f => f!.GetValue<string>()), Is.EqualTo(new[] { "auto" }), "the bitmap was stored on close");
        }
        var metadata = writes.Count(w => w.IsMetadata);
        var flushes = writes.Count(w => w.IsFlush);
        TestContext.Out.WriteLine($"{options}: {ops.Count} operations, {writes.Count} recorded entries ({metadata} metadata writes, "
            + $"{writes.Count - metadata - flushes} data writes, {flushes} flushes); {checks} qemu-img checks ({tornChecks} of torn metadata writes), {dataChecks} data checks, "
            + $"{(checks + QemuReadSample - 1) / QemuReadSample} qemu-img compares; {copiedFlagCuts} cuts inside snapshot operations with COPIED flag mismatches ({(copiedFlagCuts + RepairSample - 1) / RepairSample} repaired); "
            + $"{watch.Elapsed.TotalSeconds:F1} s");
    }

    private static void AssertIntact(byte[] actual, byte[] model, RecordedOperation? inFlight, Func<string> where)
    {
        var (from, to) = inFlight is null || inFlight.After.Length == 0 ? (0L, 0L) : (inFlight.Offset, inFlight.Offset + inFlight.After.Length);
        var outsideEqual = actual.AsSpan(0, (int)from).SequenceEqual(model.AsSpan(0, (int)from))
            && actual.AsSpan((int)to).SequenceEqual(model.AsSpan((int)to));
        if (!outsideEqual)
        {
            var first = RecordedWorkload.FirstDifference(actual, model, from, to);
            Assert.Fail($"guest byte {first} differs from the last completed state outside the interrupted operation; {where()}");
        }
        for (var i = from; i < to; i++)
        {
            var value = actual[i];
            if (value != model[i] && value != inFlight!.After[i - from])
            {
                Assert.Fail($"guest byte {i} of the interrupted operation is neither its old nor its new value; {where()}");
            }
        }
    }
}
