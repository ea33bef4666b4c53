using QcowKit.Check;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>
/// Seeded mutation fuzzing of valid qemu-made images: every mutant is opened, read and checked (every
/// fourth one also repaired with -r all, on a copy), and
/// the only acceptable outcomes are a result or a <see cref="QcowFormatException"/>, each within a
/// time limit. QCOWKIT_FUZZ_ITERATIONS (default 300) and QCOWKIT_FUZZ_SEED (default 20261126) make
/// longer or different runs; a failure names the iteration, which QCOWKIT_FUZZ_START=N
/// QCOWKIT_FUZZ_ITERATIONS=1 replays (QCOWKIT_KEEP_TEMP=1 keeps the mutant).
/// </summary>
[TestFixture]
public sealed class CheckFuzzTests
{
    private static readonly string[] SeedCases =
    [
        "clean_data", "clean_fragmented_compressed", "clean_with_snapshots", "clean_extended_l2",
        "clean_with_bitmap", "clean_refcount_bits_1", "clean_compat_0_10",
    ];

    private static readonly ulong[] InterestingValues =
    [
        0, 1, 0x200, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x8000000000000000, 0x00fffffffffffe00,
        0x4000000000000000, 0xffffffffffffffff, 1UL << 40, 1UL << 56,
    ];

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    [Test]
    public void Mutated_images_give_a_result_or_a_format_error_within_the_time_limit()
    {
        var iterations = EnvInt("QCOWKIT_FUZZ_ITERATIONS", 300);
        var seed = EnvInt("QCOWKIT_FUZZ_SEED", 20261126);
        var start = EnvInt("QCOWKIT_FUZZ_START", 0);
        using var temp = new TempDirectory("fuzz");
        var seeds = SeedCases.Select(name =>
        {
            var path = temp.File(name + ".qcow2");
            CheckCorpus.Images().Single(c => c.Name == name).Build(path);
            return File.ReadAllBytes(path);
        }).ToArray();

        var mutant = temp.File("mutant.qcow2");
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = start; i < start + iterations; i++)
        {
            var random = new Random(seed + i);
            var bytes = (byte[])seeds[random.Next(seeds.Length)].Clone();
            Mutate(bytes, random);
            File.WriteAllBytes(mutant, bytes);

            // Every fourth mutant is also repaired: a repair may grow the file to where a refcount block points (as
            // qemu does) and then walk millions of clusters, which would dominate the run time if done every time.
            var repair = i % 4 == 0;
            var run = Task.Run(() => Exercise(mutant, repair));
            if (!run.Wait(TimeSpan.FromSeconds(30)))
            {
                Assert.Fail($"iteration {i} (seed {seed}) did not finish within 30 s");
            }
            if (run.Exception is not null)
            {
                Assert.Fail($"iteration {i} (seed {seed}) threw {run.Exception.InnerException}");
            }
            outcomes[run.Result] = outcomes.GetValueOrDefault(run.Result) + 1;
        }
        TestContext.Out.WriteLine(string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}")));
        Assert.That(outcomes.Keys, Has.Count.GreaterThan(1), "the mutations must reach more than one outcome");
    }

    private static void Mutate(byte[] bytes, Random random)
    {
        var count = random.Next(1, 9);
        for (var m = 0; m < count; m++)
        {
            // Most mutations hit the header and the metadata at the start of the file, the rest anywhere.
            var dice = random.Next(10);
            var limit = dice < 3 ? 512 : dice < 7 ? Math.Min(bytes.Length, 6 * 65536) : bytes.Length;
            var position = random.Next(limit);
            switch (random.Next(4))
            {
                case 0:
                    bytes[position] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes[position] ^= (byte)(1 << random.Next(8));
                    break;
                default:
                {
                    var at = position & ~7;
                    if (at + 8 > bytes.Length) break;
                    var value = InterestingValues[random.Next(InterestingValues.Length)];
                    if (random.Next(2) == 0) value ^= (ulong)random.NextInt64();
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(at), value);
                    break;
                }
            }
        }
    }

    /// <summary>Open + read + check (+ repair); returns an outcome label, throws on anything but a format error.</summary>
    private static string Exercise(string path, bool repair)
    {
        var plain = QcowChecker.Check(path);
        var deep = QcowChecker.Check(path, new QcowCheckOptions { Deep = true, Untrusted = true });
        Assert.That(deep.QemuExitCode, Is.EqualTo(plain.QemuExitCode), "deep and untrusted modes keep qemu's counts");
        if (repair)
        {
            // Repair writes (refcount rebuilds, snapshot table rewrites, files grown for refcount blocks past
            // the end, as qemu does): it runs on a copy and must end in a result too.
            var copy = path + ".repair";
            File.Copy(path, copy, overwrite: true);
            var repaired = QcowChecker.Check(copy, new QcowCheckOptions { Repair = QcowRepairMode.All });
            Assert.That(repaired.Filename, Is.EqualTo(copy));
            File.Delete(copy);
        }
        try
        {
            using var image = QcowImage.Open(path, QcowOpenOptions.Untrusted);
            var buffer = new byte[64 * 1024];
            foreach (var offset in new long[] { 0, 65536, 1 << 20, image.VirtualSize - buffer.Length })
            {
                if (offset < 0 || offset + buffer.Length > image.VirtualSize) continue;
                try
                {
                    image.Read(offset, buffer);
                }
                catch (InvalidOperationException) when (image.Backing is null && image.DataFilePath is not null)
                {
                    // Untrusted open refuses guest reads that need the (unopened) data file, as documented.
                }
            }
            return $"check {plain.QemuExitCode}, read ok";
        }
        catch (QcowFormatException)
        {
            return $"check {plain.QemuExitCode}, read refused";
        }
    }
}
