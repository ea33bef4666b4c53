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
/// <see cref="AssertOnlyCopiedFlagsDisagree"/>). The prefix model is the one of a killed process (its writes are in the page cache in order), which is
/// stronger than "flushed data intact". It does not model a power loss reordering writes between flushes.
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
        var random = new Random(seed);
        var start = temp.File("start.qcow2");
        var backing = temp.File("backing.raw");
        var diskSize = (int)QcowCreateOptions.Parse(options, size).Size!.Value;
        var backingBytes = new byte[diskSize];
        random.NextBytes(backingBytes);
        File.WriteAllBytes(backing, backingBytes);
        var coverageBefore = 0L;
        var tableClustersBefore = 0u;
        using (var image = QcowImage.Create(start, QcowCreateOptions.Parse($"{options},backing_file=backing.raw,backing_fmt=raw", size)))
        {
            if (nearRefcountTableEnd)
            {
                coverageBefore = FillToNearRefcountTableEnd(image, random);
            }
            tableClustersBefore = image.Header.RefcountTableClusters;
        }
        if (bitmap)
        {
            Qemu.ImgOk("bitmap", "--add", "-f", "qcow2", start, "b0");
        }

        var work = temp.File("work.qcow2");
        File.Copy(start, work);
        var recorder = new WriteRecorder();
        var ops = new List<RecordedOperation>();
        using (var image = QcowImage.Open(work, new QcowOpenOptions { Access = FileAccess.ReadWrite, WriteObserver = recorder }))
        {
            RunWorkload(image, random, operations, recorder, ops, snapshots);
            if (nearRefcountTableEnd)
            {
                Assert.That(image.Header.RefcountTableClusters, Is.GreaterThan(tableClustersBefore),
                    $"the workload grows the refcount table (it covered {coverageBefore} bytes)");
            }
        }
        var writes = recorder.Writes;
        var finalBytes = ops[^1].After;

        var replay = temp.File("cut.qcow2");
        File.Copy(start, replay);
        var model = new byte[diskSize];
        using (var image = QcowImage.Open(start))
        {
            image.Read(0, model);
        }
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
                AssertOnlyCopiedFlagsDisagree(replay, temp.File("repair.qcow2"), raw, repair: copiedFlagCuts % RepairSample == 0, where);
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
                    + $"{completed} operations complete; interrupted: {inFlight?.Description ?? "none"}; next write: {Describe(writes, cut)}";

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

    /// <summary>
    /// Inside a snapshot create or delete no write order keeps qemu-img check quiet: a shared cluster's refcount
    /// and its COPIED flag live in different clusters, and check calls either half-done state an error. qemu's
    /// own qcow2_update_snapshot_refcount leaves the same states. They are harmless (a COPIED flag on a cluster
    /// whose second reference is not yet published, or a missing one that only costs a copy) and
    /// <c>qemu-img check -r all</c> repairs them: the test allows exactly these errors, and only there.
    /// </summary>
    private static void AssertOnlyCopiedFlagsDisagree(string image, string copy, ProcessResult check, bool repair, Func<string> where)
    {
        var errors = check.StandardError.Split('\n').Where(l => l.StartsWith("ERROR", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Is.Not.Empty.And.All.StartsWith("ERROR OFLAG_COPIED "),
            () => $"inside a snapshot operation only COPIED flag mismatches are allowed; {where()}\n{check.Describe()}");
        if (!repair)
        {
            return;
        }
        File.Copy(image, copy, overwrite: true);
        var repaired = Qemu.Img("check", "-q", "-r", "all", copy);
        var (after, _, raw) = Qemu.Check(copy);
        Assert.That(after, Is.Zero, () => $"qemu-img check -r all repairs it; {where()}\n{repaired.Describe()}\n{raw.Describe()}");
    }

    /// <summary>An operation of the workload: the host writes it made are [Start, End); After holds its range's guest bytes once done.</summary>
    private sealed record RecordedOperation(string Description, int Start, int End, long Offset, byte[] After)
    {
        public bool IsSnapshotOperation => Description.StartsWith("snapshot", StringComparison.Ordinal);
    }

    private static void AssertIntact(byte[] actual, byte[] model, RecordedOperation? inFlight, Func<string> where)
    {
        var (from, to) = inFlight is null || inFlight.After.Length == 0 ? (0L, 0L) : (inFlight.Offset, inFlight.Offset + inFlight.After.Length);
        var outsideEqual = actual.AsSpan(0, (int)from).SequenceEqual(model.AsSpan(0, (int)from))
            && actual.AsSpan((int)to).SequenceEqual(model.AsSpan((int)to));
        if (!outsideEqual)
        {
            var first = FirstDifference(actual, model, from, to);
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

    private static long FirstDifference(byte[] actual, byte[] model, long skipFrom, long skipTo)
    {
        for (var i = 0L; i < actual.Length; i++)
        {
            if ((i < skipFrom || i >= skipTo) && actual[i] != model[i]) return i;
        }
        return -1;
    }

    private static string Describe(List<RecordedWrite> writes, int index)
    {
        if (index >= writes.Count) return "none (end)";
        var w = writes[index];
        return w.IsFlush ? "flush" : $"{(w.GuestData ? "data" : "metadata")} {w.Data!.Length} bytes at {w.Offset}";
    }

    /// <summary>
    /// Writes guest data (not recorded) until the host file nearly fills what the one-cluster refcount table can
    /// describe, so that the recorded workload has to grow the table.
    /// </summary>
    private static long FillToNearRefcountTableEnd(QcowImage image, Random random)
    {
        var h = image.Header;
        var clusterSize = (long)h.ClusterSize;
        var entriesPerBlock = clusterSize * 8 >> h.RefcountOrder;
        var coverage = h.RefcountTableClusters * (clusterSize / 8) * entriesPerBlock * clusterSize;
        var chunk = new byte[16 * 1024];
        var offset = image.VirtualSize / 3;
        while (image.FileLength < coverage - (8 * clusterSize) - chunk.Length && offset + chunk.Length <= image.VirtualSize)
        {
            random.NextBytes(chunk);
            image.Write(offset, chunk);
            offset += chunk.Length;
        }
        // Byte-sized steps for the last stretch: the workload starts a few clusters short of the end.
        while (image.FileLength < coverage - (8 * clusterSize) && offset + clusterSize <= image.VirtualSize)
        {
            random.NextBytes(chunk.AsSpan(0, (int)clusterSize));
            image.Write(offset, chunk.AsSpan(0, (int)clusterSize));
            offset += clusterSize;
        }
        Assert.That(image.Header.RefcountTableClusters * (clusterSize / 8) * entriesPerBlock * clusterSize, Is.EqualTo(coverage), "the fill itself did not grow the table");
        return coverage;
    }

    /// <summary>
    /// Writes (partial clusters over backing data, so with copy-on-write, and multi-cluster), zero writes,
    /// discards and compressed writes over the disk, with a flush every few operations and a close at the end.
    /// </summary>
    private static void RunWorkload(QcowImage image, Random random, int operations, WriteRecorder recorder, List<RecordedOperation> ops, bool snapshots)
    {
        var snapshotNames = new List<string>();
        var size = image.VirtualSize;
        var cluster = image.ClusterSize;
        var clusters = (int)((size + cluster - 1) / cluster);
        for (var i = 0; i < operations; i++)
        {
            var begin = recorder.Writes.Count;
            var kind = random.Next(100);
            long offset;
            int length;
            string description;
            if (snapshots && (i % 7 == 2 || (i % 7 == 5 && snapshotNames.Count > 0)))
            {
                if (i % 7 == 2)
                {
                    var name = $"s{i}";
                    image.CreateSnapshot(name, DateTimeOffset.UnixEpoch);
                    snapshotNames.Add(name);
                    description = $"snapshot create {name}";
                }
                else
                {
                    var name = snapshotNames[random.Next(snapshotNames.Count)];
                    image.DeleteSnapshot(name);
                    snapshotNames.Remove(name);
                    description = $"snapshot delete {name}";
                }
                ops.Add(new RecordedOperation(description, begin, recorder.Writes.Count, 0, []));
                continue;
            }
            if (kind < 45)
            {
                length = 1 + random.Next(3 * cluster);
                offset = random.NextInt64(size - length + 1);
                if (kind < 10)
                {
                    offset &= ~511L;
                    length = (int)Math.Min(Math.Max(512, length & ~511), size - offset);
                }
                var data = new byte[length];
                random.NextBytes(data);
                image.Write(offset, data);
                description = $"write {length} bytes at {offset}";
            }
            else if (kind < 62)
            {
                (offset, length) = Range(random, size, cluster, clusters);
                image.WriteZeroes(offset, length);
                description = $"write zeroes {length} bytes at {offset}";
            }
            else if (kind < 78)
            {
                (offset, length) = Range(random, size, cluster, clusters);
                image.Discard(offset, length);
                description = $"discard {length} bytes at {offset}";
            }
            else
            {
                var first = random.Next(clusters);
                var count = 1 + random.Next(Math.Min(3, clusters - first));
                offset = (long)first * cluster;
                length = (int)Math.Min((long)count * cluster, size - offset);
                var data = Compressible(random, length);
                image.WriteCompressed(offset, data);
                description = $"compressed write {length} bytes at {offset}";
            }
            var after = new byte[length];
            image.Read(offset, after);
            ops.Add(new RecordedOperation(description, begin, recorder.Writes.Count, offset, after));
            if (i % 4 == 3)
            {
                image.Flush();
            }
        }
        var closeStart = recorder.Writes.Count;
        var final = new byte[size];
        image.Read(0, final);
        image.Dispose();
        ops.Add(new RecordedOperation("close", closeStart, recorder.Writes.Count, 0, final));
    }

    /// <summary>Cluster-aligned half of the time, so that whole clusters get zero flags or are released.</summary>
    private static (long Offset, int Length) Range(Random random, long size, int cluster, int clusters)
    {
        if (random.Next(2) == 0)
        {
            var first = random.Next(clusters);
            var count = 1 + random.Next(Math.Min(4, clusters - first));
            return ((long)first * cluster, (int)Math.Min((long)count * cluster, size - ((long)first * cluster)));
        }
        var length = 1 + random.Next(2 * cluster);
        return (random.NextInt64(size - length + 1), length);
    }
}
