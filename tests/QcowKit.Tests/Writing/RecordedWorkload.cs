using QcowKit.Image;
using QcowKit.TestSupport;
using static QcowKit.Tests.Writing.WriteTestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>An operation of the workload: the host writes it made are [Start, End); After holds its range's guest bytes once done.</summary>
internal sealed record RecordedOperation(string Description, int Start, int End, long Offset, byte[] After)
{
    public bool IsSnapshotOperation => Description.StartsWith("snapshot", StringComparison.Ordinal);
}

/// <summary>
/// A seeded workload run on a fresh image (over a random raw backing file) with every host write and flush
/// recorded, for the crash-consistency tests that replay the writes onto <see cref="Start"/>: the killed-process
/// prefixes of <see cref="CrashConsistencyTests"/> and the power-loss subsets of <see cref="PowerLossTests"/>.
/// </summary>
internal sealed class RecordedWorkload
{
    private RecordedWorkload(string start, List<RecordedWrite> writes, List<RecordedOperation> ops, byte[] startBytes)
    {
        Start = start;
        Writes = writes;
        Operations = ops;
        StartBytes = startBytes;
    }

    /// <summary>The image before the workload (nothing of it is recorded).</summary>
    public string Start { get; }

    public List<RecordedWrite> Writes { get; }

    /// <summary>The operations in order; the last one is the close.</summary>
    public List<RecordedOperation> Operations { get; }

    /// <summary>The guest bytes of <see cref="Start"/>.</summary>
    public byte[] StartBytes { get; }

    public byte[] FinalBytes => Operations[^1].After;

    /// <summary>
    /// Creates the start image in <paramref name="temp"/> (optionally filled until the refcount table is nearly
    /// full, optionally with a persistent bitmap) and records <paramref name="operations"/> operations on a copy.
    /// </summary>
    public static RecordedWorkload Record(TempDirectory temp, string options, string size, bool nearRefcountTableEnd, int operations, int seed,
        bool snapshots, bool bitmap)
    {
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
        var startBytes = new byte[diskSize];
        using (var image = QcowImage.Open(start))
        {
            image.Read(0, startBytes);
        }
        return new RecordedWorkload(start, recorder.Writes, ops, startBytes);
    }

    /// <summary>
    /// Inside a snapshot create or delete no write order keeps qemu-img check quiet: a shared cluster's refcount
    /// and its COPIED flag live in different clusters, and check calls either half-done state an error. qemu's
    /// own qcow2_update_snapshot_refcount leaves the same states. They are harmless (a COPIED flag on a cluster
    /// whose second reference is not yet published, or a missing one that only costs a copy) and
    /// <c>qemu-img check -r all</c> repairs them: the tests allow exactly these errors, and only there.
    /// </summary>
    public static void AssertOnlyCopiedFlagsDisagree(string image, string copy, ProcessResult check, bool repair, Func<string> where)
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

    public static long FirstDifference(byte[] actual, byte[] model, long skipFrom, long skipTo)
    {
        for (var i = 0L; i < actual.Length; i++)
        {
            if ((i < skipFrom || i >= skipTo) && actual[i] != model[i]) return i;
        }
        return -1;
    }

    public static string Describe(List<RecordedWrite> writes, int index)
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
