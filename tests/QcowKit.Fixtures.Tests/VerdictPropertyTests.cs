using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using QcowKit.Format;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

/// <summary>
/// The fixture promise, as a property: for a seeded random walk over the builder's options and every
/// corruption, each combination the builder accepts comes with the verdict qemu-img gives it. The seed
/// comes from QCOWKIT_PROPERTY_SEED (else the clock) and the count from QCOWKIT_PROPERTY_COUNT (else 300).
/// </summary>
public class VerdictPropertyTests
{
    private const int DefaultCount = 300;

    [Test]
    public void Every_combination_the_builder_accepts_carries_the_verdict_qemu_img_gives_it()
    {
        var seed = EnvironmentInt("QCOWKIT_PROPERTY_SEED") ?? Environment.TickCount & 0x7fffffff;
        var count = EnvironmentInt("QCOWKIT_PROPERTY_COUNT") ?? DefaultCount;
        var random = new Random(seed);
        var combinations = Enumerable.Range(0, count).Select(_ => RandomOptions(random)).ToList();
        using var temp = new TempDirectory("fixture-property");
        var failures = new ConcurrentBag<string>();
        var (built, refused) = (0, 0);
        var clock = Stopwatch.StartNew();
        Parallel.ForEach(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var options = combinations[i];
            var folder = Path.Combine(temp.Path, i.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            BuiltFixture fixture;
            try
            {
                fixture = QcowFixture.From(options).Build(Path.Combine(folder, "image.qcow2"));
            }
            catch (ArgumentException ex)
            {
                Interlocked.Increment(ref refused);
                if (Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    failures.Add($"#{i} refused ({ex.Message}) after writing files: {Describe(options)}");
                }
                return;
            }
            catch (Exception ex)
            {
                failures.Add($"#{i} Build threw {ex.GetType().Name}: {ex.Message}: {Describe(options)}");
                return;
            }
            Interlocked.Increment(ref built);
            var actual = QemuVerdict.Of(fixture.ImagePath);
            if (actual != fixture.Expected)
            {
                failures.Add($"#{i} {Describe(options)}\n    expected {fixture.Expected}\n    qemu-img {actual}");
            }
            else
            {
                Directory.Delete(folder, recursive: true);
            }
        });
        TestContext.Out.WriteLine($"seed {seed}: {count} combinations, {built} built, {refused} refused, {failures.Count} disagreements, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.That(failures, Is.Empty,
            () => $"seed {seed} (rerun with QCOWKIT_PROPERTY_SEED={seed} QCOWKIT_PROPERTY_COUNT={count}): {failures.Count} of {built} built combinations disagree with qemu-img:\n"
                + string.Join('\n', failures.OrderBy(f => int.Parse(f[1..f.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture)).Take(40)));
    }

    /// <summary>One combination: every option drawn independently, so the builder's refusals are exercised too.</summary>
    internal static QcowFixtureOptions RandomOptions(Random random)
    {
        int[] clusterSizes = [512, 1024, 2048, 4096, 16 * 1024, 64 * 1024];
        int[] refcountBits = [1, 2, 4, 8, 16, 32, 64];
        var corruptions = Enum.GetValues<Corruption>();
        var clusterSize = clusterSizes[random.Next(clusterSizes.Length)];
        var version = random.Next(5) == 0 ? 2 : 3;
        var compression = random.Next(3) switch
        {
            0 => (CompressionType.Deflate, 0.0),
            1 => (CompressionType.Deflate, 0.5),
            _ => (CompressionType.Zstd, random.Next(2) == 0 ? 0.0 : 1.0),
        };
        return new QcowFixtureOptions
        {
            VirtualSize = 1024 * 1024,
            ClusterSize = clusterSize,
            Version = version,
            RefcountBits = version == 2 || random.Next(3) == 0 ? 16 : refcountBits[random.Next(refcountBits.Length)],
            CompressionType = compression.Item1,
            CompressedFraction = compression.Item2,
            ExtendedL2 = clusterSize >= 16 * 1024 && random.Next(2) == 0,
            LazyRefcounts = random.Next(4) == 0,
            Snapshots = random.Next(3),
            Bitmaps = random.Next(4) == 0 ? random.Next(1, 3) : 0,
            Backing = (FixtureBacking)random.Next(3),
            Seed = random.Next(1000),
            Corruptions = random.Next(10) == 0 ? [] : [corruptions[random.Next(corruptions.Length)]],
        };
    }

    internal static string Describe(QcowFixtureOptions o) =>
        $"cluster {o.ClusterSize}, v{o.Version}, refcount {o.RefcountBits}, {o.CompressionType} {o.CompressedFraction}, extended L2 {o.ExtendedL2}, "
        + $"lazy {o.LazyRefcounts}, snapshots {o.Snapshots}, bitmaps {o.Bitmaps}, backing {o.Backing}, seed {o.Seed}, "
        + $"corruption {(o.Corruptions.Count == 0 ? "none" : o.Corruptions[0].ToString())}";

    private static int? EnvironmentInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
