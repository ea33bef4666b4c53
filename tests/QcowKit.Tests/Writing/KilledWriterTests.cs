using System.Diagnostics;
using System.Globalization;
using QcowKit.CrashWorkload;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>
/// Crash consistency with a real kill: a child process (tests/QcowKit.CrashWorkload) writes a seeded workload,
/// flushing every few operations and reporting each flush on stdout, and is killed (whole process tree) at a
/// seeded random moment. qemu-img check must find the image at worst leaking, and qemu must read every byte
/// as one of the states between the last reported flush and the next one (so everything flushed is intact).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class KilledWriterTests
{
    private const int FlushEvery = 8;
    private const int RunsPerCase = 3;

    [TestCase("cluster_size=4k", 101)]
    [TestCase("cluster_size=512,refcount_bits=64,lazy_refcounts=on", 202)]
    [TestCase("compat=0.10,cluster_size=4k", 303)]
    public void A_writer_killed_at_random_moments_leaves_an_image_at_worst_leaking_with_flushed_data_intact(string options, int seed)
    {
        using var temp = new TempDirectory("kill");
        var random = new Random(seed);
        var backing = temp.File("backing.raw");
        var backingBytes = new byte[1024 * 1024];
        random.NextBytes(backingBytes);
        File.WriteAllBytes(backing, backingBytes);
        var start = temp.File("start.qcow2");
        QcowImage.Create(start, QcowCreateOptions.Parse($"{options},backing_file=backing.raw,backing_fmt=raw")).Dispose();

        for (var run = 0; run < RunsPerCase; run++)
        {
            var workloadSeed = (seed * 10) + run;
            var delay = TimeSpan.FromMilliseconds(random.Next(20, 600));
            var image = temp.File($"run{run}.qcow2");
            File.Copy(start, image);
            var (flushed, finished) = RunAndKill(image, workloadSeed, delay);
            TestContext.Out.WriteLine($"{options}: workload seed {workloadSeed}, killed {delay.TotalMilliseconds} ms after its first flush, "
                + $"after flush {flushed}{(finished ? " (it had finished)" : "")}");
            Assert.That(finished, Is.False, "the child must still be writing when it is killed (make the workload longer)");

            var (exitCode, _, raw) = Qemu.Check(image);
            Assert.That(exitCode, Is.EqualTo(0).Or.EqualTo(3), () => $"qemu-img check after the kill (seed {workloadSeed}): {raw.Describe()}");

            var states = ModelStates(start, temp.File($"model{run}.qcow2"), workloadSeed, flushed);
            var actual = QemuGuestBytes(image);
            AssertOneOfTheStates(actual, states, workloadSeed, flushed);

            if (options.Contains("lazy_refcounts=on", StringComparison.Ordinal))
            {
                // qemu's rule for a lazy-refcounts image left dirty: it is repaired when opened read-write.
                Assert.That(Qemu.Info(image)["dirty-flag"]!.GetValue<bool>(), Is.True, "a killed lazy-refcounts writer leaves the dirty bit set");
                var open = ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "read 0 512", image]);
                Assert.That(open.ExitCode, Is.Zero, open.Describe);
                var (repairedExit, _, repairedRaw) = Qemu.Check(image);
                Assert.That(repairedExit, Is.Zero, () => $"after qemu's repair on open: {repairedRaw.Describe()}");
                Assert.That(QemuGuestBytes(image), Is.EqualTo(actual), "the repair keeps every guest byte");
            }
        }
    }

    /// <summary>Starts the child, waits for its first flush report, waits <paramref name="delay"/> more and kills it.</summary>
    private static (int Flushed, bool Finished) RunAndKill(string image, int seed, TimeSpan delay)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "QcowKit.CrashWorkload.dll");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { dll, image, seed.ToString(CultureInfo.InvariantCulture), "1000000", FlushEvery.ToString(CultureInfo.InvariantCulture) })
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        var lines = new List<string>();
        using var firstFlush = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.Add(e.Data);
            firstFlush.Set();
        };
        var stderrTask = process.StandardError.ReadToEndAsync();
        process.BeginOutputReadLine();
        try
        {
            Assert.That(firstFlush.Wait(TimeSpan.FromSeconds(60)), Is.True, () => $"the workload never reported a flush: {stderrTask.Result}");
            Thread.Sleep(delay);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(); // also drains the redirected stdout
        }
        lock (lines)
        {
            var finished = lines.Contains("done");
            var last = lines.LastOrDefault(l => l.StartsWith("flushed ", StringComparison.Ordinal));
            Assert.That(last, Is.Not.Null, () => $"no flush report in: {string.Join('|', lines)} {stderrTask.Result}");
            return (int.Parse(last!["flushed ".Length..], CultureInfo.InvariantCulture), finished);
        }
    }

    /// <summary>
    /// The guest bytes after operations <paramref name="flushed"/> .. <paramref name="flushed"/> + FlushEvery, computed by
    /// running the same workload in-process on a copy of the starting image: the killed image must show one of them at every byte.
    /// </summary>
    private static List<byte[]> ModelStates(string start, string modelPath, int seed, int flushed)
    {
        File.Copy(start, modelPath);
        using var model = QcowImage.Open(modelPath, new QcowOpenOptions { Access = FileAccess.ReadWrite });
        var states = new List<byte[]>();
        var done = 0;
        foreach (var operation in CrashWorkload.CrashWorkload.Generate(seed, model.VirtualSize, model.ClusterSize).Take(flushed + FlushEvery))
        {
            operation.Apply(model);
            done++;
            if (done >= flushed)
            {
                var state = new byte[model.VirtualSize];
                model.Read(0, state);
                states.Add(state);
            }
        }
        if (flushed == 0)
        {
            throw new InvalidOperationException("the child reports only after its first flush");
        }
        return states;
    }

    private static byte[] QemuGuestBytes(string image)
    {
        var raw = image + ".raw";
        Qemu.ImgOk("convert", "-U", "-O", "raw", image, raw);
        return File.ReadAllBytes(raw);
    }

    private static void AssertOneOfTheStates(byte[] actual, List<byte[]> states, int seed, int flushed)
    {
        var flushedState = states[0];
        Assert.That(actual, Has.Length.EqualTo(flushedState.Length));
        var unflushedBytes = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            if (actual[i] == flushedState[i]) continue;
            var found = false;
            for (var s = 1; s < states.Count && !found; s++)
            {
                found = actual[i] == states[s][i];
            }
            Assert.That(found, Is.True, () => $"guest byte {i} is {actual[i]}: neither the flushed state after operation {flushed} "
                + $"({flushedState[i]}) nor any later state up to the next flush (seed {seed})");
            unflushedBytes++;
        }
        TestContext.Out.WriteLine($"  {unflushedBytes} bytes already show writes after the last reported flush");
    }
}
