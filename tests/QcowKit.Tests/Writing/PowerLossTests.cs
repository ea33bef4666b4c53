using System.Diagnostics;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>
/// Crash consistency under power loss: the disk keeps every write issued before the last flush, but of the
/// writes since then (an epoch) any subset, in any order. A workload's host writes are recorded, cut into epochs
/// at the flushes, and for every epoch several subsets of it are applied on top of all earlier epochs: the empty
/// and seeded random subsets, only the metadata writes, only the last half, and each write alone when the epoch
/// is small. Every such image must be at worst leaking for qemu-img check (inside snapshot operations COPIED
/// flag mismatches are allowed, as in <see cref="CrashConsistencyTests"/>), and every operation completed
/// before the epoch's opening flush must read back intact; the operations with writes in the epoch may show
/// their old or new bytes, byte by byte. Writes are applied whole (torn writes are the prefix test's part).
/// </summary>
[TestFixture]
public sealed class PowerLossTests
{
    /// <summary>Epochs of at most this many writes also get every single write applied alone.</summary>
    private const int SingleWriteEpochLimit = 6;

    /// <summary>Seeded random subsets per epoch.</summary>
    private const int RandomSubsets = 3;

    /// <summary>At most this many failing images are described in the failure message.</summary>
    private const int ReportedFailures = 5;

    [TestCase("cluster_size=512,refcount_bits=64", "3M", true, 20, 41, false, false,
        TestName = "Every_power_loss_image_is_at_worst_leaking_v3_512_byte_clusters_with_refcount_table_growth")]
    [TestCase("compat=0.10,cluster_size=512", "1M", false, 24, 42, false, false, TestName = "Every_power_loss_image_is_at_worst_leaking_v2")]
    [TestCase("cluster_size=16k,extended_l2=on,refcount_bits=8", "2M", false, 24, 43, false, false,
        TestName = "Every_power_loss_image_is_at_worst_leaking_extended_l2")]
    [TestCase("cluster_size=4k,lazy_refcounts=on", "2M", false, 24, 44, false, false, TestName = "Every_power_loss_image_is_at_worst_leaking_lazy_refcounts")]
    [TestCase("cluster_size=64k", "4M", false, 14, 45, true, false, TestName = "Every_power_loss_image_around_snapshot_operations_is_at_worst_leaking")]
    [TestCase("cluster_size=4k", "2M", false, 20, 46, false, true, TestName = "Every_power_loss_image_with_a_persistent_bitmap_is_at_worst_leaking")]
    public void Every_power_loss_image_is_at_worst_leaking_with_flushed_data_intact(string options, string size, bool nearRefcountTableEnd, int operations,
        int seed, bool snapshots, bool bitmap)
    {
        var watch = Stopwatch.StartNew();
        using var temp = new TempDirectory("powerloss");
        var workload = RecordedWorkload.Record(temp, options, size, nearRefcountTableEnd, operations, seed, snapshots, bitmap);
        var writes = workload.Writes;
        var ops = workload.Operations;
        var random = new Random(seed);

        var stable = temp.File("stable.qcow2");
        var cut = temp.File("cut.qcow2");
        File.Copy(workload.Start, stable);
        var model = workload.StartBytes.ToArray();
        var actual = new byte[model.Length];
        var completed = 0;
        var images = 0;
        var epochs = 0;
        var failures = new List<string>();
        var epochStart = 0;
        while (epochStart <= writes.Count)
        {
            var epochEnd = epochStart;
            while (epochEnd < writes.Count && !writes[epochEnd].IsFlush)
            {
                epochEnd++;
            }
            while (completed < ops.Count && ops[completed].End <= epochStart)
            {
                ops[completed].After.CopyTo(model, ops[completed].Offset);
                completed++;
            }
            var inFlight = ops.Skip(completed).TakeWhile(o => o.Start < Math.Max(epochEnd, epochStart + 1)).ToList();
            var epoch = Enumerable.Range(epochStart, epochEnd - epochStart).ToList();
            foreach (var (name, subset) in Subsets(epoch, writes, random))
            {
                File.Copy(stable, cut, overwrite: true);
                using (var handle = File.OpenHandle(cut, FileMode.Open, FileAccess.ReadWrite))
                {
                    foreach (var index in subset)
                    {
                        RandomAccess.Write(handle, writes[index].Data, writes[index].Offset);
                    }
                }
                var where = $"epoch {epochs} (writes {epochStart}..{epochEnd - 1} of {writes.Count}), subset {name} [{string.Join(' ', subset)}]; "
                    + $"{completed} operations complete; in flight: {string.Join(", ", inFlight.Select(o => o.Description))}";
                if (Problem(cut, model, actual, inFlight) is { } problem)
                {
                    failures.Add($"{where}: {problem}");
                }
                images++;
            }
            using (var handle = File.OpenHandle(stable, FileMode.Open, FileAccess.ReadWrite))
            {
                foreach (var index in epoch)
                {
                    RandomAccess.Write(handle, writes[index].Data, writes[index].Offset);
                }
            }
            epochs++;
            epochStart = epochEnd + 1;
        }
        var flushes = writes.Count(w => w.IsFlush);
        TestContext.Out.WriteLine($"{options}: {ops.Count} operations, {writes.Count} recorded entries ({flushes} flushes), {epochs} epochs, "
            + $"{images} power-loss images, {failures.Count} not at worst leaking or with lost data; {watch.Elapsed.TotalSeconds:F1} s");
        Assert.That(failures, Is.Empty, () => $"{failures.Count} of {images} power-loss images are corrupt or lost flushed data, e.g.\n"
            + string.Join("\n", failures.Take(ReportedFailures)));
        WriteTestSupport.AssertCleanAndEqual(stable, workload.FinalBytes, temp.Path);
    }

    /// <summary>What is wrong with a power-loss image, or null when qemu-img check finds at worst leaks and the data is intact.</summary>
    private static string? Problem(string image, byte[] model, byte[] actual, List<RecordedOperation> inFlight)
    {
        var (exitCode, _, raw) = Qemu.Check(image);
        var errors = raw.StandardError.Split('\n').Where(l => l.StartsWith("ERROR", StringComparison.Ordinal)).ToList();
        var onlyCopiedFlags = errors.Count > 0 && errors.All(l => l.StartsWith("ERROR OFLAG_COPIED ", StringComparison.Ordinal));
        if (exitCode is not (0 or 3) && !(exitCode == 2 && onlyCopiedFlags && inFlight.Any(o => o.IsSnapshotOperation)))
        {
            return $"qemu-img check exit code {exitCode}: " + string.Join(" | ", raw.StandardError.Split('\n').Where(l => l.Length > 0).Take(3));
        }
        try
        {
            using var disk = QcowImage.Open(image);
            disk.Read(0, actual);
        }
        catch (IOException e)
        {
            return $"reading the guest disk fails: {e.Message}";
        }
        for (var i = 0; i < actual.Length; i++)
        {
            if (actual[i] != model[i] && !inFlight.Any(o => i >= o.Offset && i < o.Offset + o.After.Length && o.After[i - o.Offset] == actual[i]))
            {
                return $"guest byte {i} is {actual[i]}, neither its flushed value {model[i]} nor one an operation in flight wrote";
            }
        }
        return null;
    }

    /// <summary>The subsets of an epoch's writes to apply (in recorded order), each with a name for failure messages.</summary>
    private static IEnumerable<(string Name, List<int> Writes)> Subsets(List<int> epoch, List<RecordedWrite> writes, Random random)
    {
        var seen = new HashSet<string>();
        IEnumerable<(string, List<int>)> Candidates()
        {
            yield return ("none", []);
            if (epoch.Count == 0)
            {
                yield break;
            }
            yield return ("metadata only", epoch.Where(i => writes[i].IsMetadata).ToList());
            yield return ("last half", epoch.Skip(epoch.Count / 2).ToList());
            if (epoch.Count <= SingleWriteEpochLimit)
            {
                foreach (var i in epoch)
                {
                    yield return ($"write {i} alone", [i]);
                }
            }
            for (var r = 0; r < RandomSubsets; r++)
            {
                yield return ($"random {r}", epoch.Where(_ => random.Next(2) == 0).ToList());
            }
        }
        foreach (var (name, subset) in Candidates())
        {
            // The whole epoch is the next epoch's empty subset.
            if (subset.Count == epoch.Count && epoch.Count > 0)
            {
                continue;
            }
            if (seen.Add(string.Join(',', subset)))
            {
                yield return (name, subset);
            }
        }
    }
}
