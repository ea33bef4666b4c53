using QcowKit.Amend;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Amend;

/// <summary>
/// An amend stopped at each of its checkpoints (the points where everything written so far is flushed) leaves an
/// image that qemu-img check finds at worst leaking, with the guest bytes of before.
/// </summary>
[TestFixture]
public sealed class AmendCrashTests
{
    [Test]
    public void Upgrade_and_refcount_change_stopped_anywhere_leave_at_worst_leaks()
    {
        using var temp = new TempDirectory("amend-crash");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "2M", "compat=0.10,cluster_size=512");
        Qemu.Io(start, "write -P 0x11 0 600k");
        Qemu.ImgOk("snapshot", "-c", "s1", start);
        Qemu.Io(start, "write -P 0x12 100k 200k", "write -P 0x13 1500k 300k");
        LegacySnapshotTable.DropExtraData(start);
        AssertEveryStopIsSafe(temp, start, "compat=1.1,refcount_bits=64", minimumStops: 6);
    }

    [Test]
    public void Downgrade_stopped_anywhere_leaves_at_worst_leaks()
    {
        using var temp = new TempDirectory("amend-crash");
        var backing = temp.File("base.qcow2");
        Qemu.CreateQcow2(backing, "4M");
        Qemu.Io(backing, "write -P 0x77 0 4M");
        var start = temp.File("start.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "-o", "cluster_size=4k", start, "4M");
        Qemu.Io(start, "write -z 0 16k", "write -P 0x22 64k 8k", "write -z 64k 8k", "write -z 3M 12k");
        Qemu.ImgOk("snapshot", "-c", "s1", start);
        Qemu.Io(start, "write -z 2M 8k", "write -P 0x23 3M 4k");
        AssertEveryStopIsSafe(temp, start, "compat=0.10", minimumStops: 3);
    }

    private static void AssertEveryStopIsSafe(TempDirectory temp, string start, string options, int minimumStops)
    {
        var points = new List<string>();
        var complete = temp.File("complete.qcow2");
        File.Copy(start, complete);
        QcowAmender.Amend(complete, QcowAmendOptions.Parse(options), null, points.Add, CancellationToken.None);
        TestContext.Out.WriteLine($"stops: {string.Join(", ", points)}");
        Assert.That(points, Has.Count.GreaterThanOrEqualTo(minimumStops), string.Join(", ", points));
        for (var stop = 0; stop < points.Count; stop++)
        {
            var copy = temp.File($"stop-{stop}.qcow2");
            File.Copy(start, copy);
            var reached = 0;
            var at = stop;
            Assert.That(() => QcowAmender.Amend(copy, QcowAmendOptions.Parse(options), null, _ =>
            {
                if (reached++ == at) throw new SimulatedCrashException();
            }, CancellationToken.None), Throws.InstanceOf<SimulatedCrashException>());
            var (exitCode, report, raw) = Qemu.Check(copy);
            Assert.That(exitCode, Is.AnyOf(0, 3), () => $"stopped after '{points[at]}' (#{at}): {raw.Describe()}");
            Assert.That(report?["corruptions"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
            Assert.That(Qemu.Compare(start, copy), Is.Zero, $"guest bytes after a stop at '{points[at]}' (#{at})");
            File.Delete(copy);
        }
    }

    private sealed class SimulatedCrashException : Exception
    {
        public SimulatedCrashException() : base("simulated crash")
        {
        }
    }
}
