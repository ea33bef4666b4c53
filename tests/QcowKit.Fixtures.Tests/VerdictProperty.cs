using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using QcowKit.Format;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

/// <summary>
/// The machinery of the verdict property: a seeded random walk over the builder's options and every corruption,
/// each combination built and, when the builder accepts it, judged by qemu-img. Shared by the property test and by
/// the tests that break a verdict rule on purpose to show the walk catches it.
/// </summary>
internal static class VerdictProperty
{
    /// <summary>Identity: the builder's own verdict.</summary>
    internal static readonly Func<QcowFixtureOptions, ExpectedVerdict, ExpectedVerdict> BuilderRule = static (_, verdict) => verdict;

    /// <summary>The walk's combinations for <paramref name="seed"/>, in order (the same list <see cref="Run"/> builds).</summary>
    internal static IReadOnlyList<QcowFixtureOptions> Combinations(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => RandomOptions(random))];
    }

    /// <summary>
    /// Builds every combination of the walk with <paramref name="verdictRule"/> applied to the builder's verdict and
    /// compares the result with qemu-img's. A refusal must be an <see cref="ArgumentException"/> that wrote nothing.
    /// </summary>
    internal static PropertyReport Run(int seed, int count, Func<QcowFixtureOptions, ExpectedVerdict, ExpectedVerdict> verdictRule)
    {
        var combinations = Combinations(seed, count);
        using var temp = new TempDirectory("fixture-property");
        var failures = new ConcurrentBag<PropertyFailure>();
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
                fixture = QcowFixture.From(options).Build(Path.Combine(folder, "image.qcow2"), verdictRule);
            }
            catch (ArgumentException ex)
            {
                Interlocked.Increment(ref refused);
                if (Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    failures.Add(new PropertyFailure(seed, i, options, $"refused ({ex.Message}) after writing files"));
                }
                return;
            }
            catch (Exception ex)
            {
                failures.Add(new PropertyFailure(seed, i, options, $"Build threw {ex.GetType().Name}: {ex.Message}"));
                return;
            }
            Interlocked.Increment(ref built);
            var actual = QemuVerdict.Of(fixture.ImagePath);
            if (actual != fixture.Expected)
            {
                failures.Add(new PropertyFailure(seed, i, options, $"expected {fixture.Expected}\n    qemu-img {actual}"));
            }
            else
            {
                Directory.Delete(folder, recursive: true);
            }
        });
        return new PropertyReport(seed, combinations, built, refused, [.. failures.OrderBy(f => f.Index)], clock.Elapsed);
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
}

/// <summary>One combination of the walk whose build or verdict went wrong; <see cref="ToString"/> names the walk's seed and the options.</summary>
internal sealed record PropertyFailure(int Seed, int Index, QcowFixtureOptions Options, string Problem)
{
    public override string ToString() => $"seed {Seed} #{Index} {VerdictProperty.Describe(Options)}\n    {Problem}";
}

/// <summary>The outcome of one walk.</summary>
internal sealed record PropertyReport(int Seed, IReadOnlyList<QcowFixtureOptions> Combinations, int Built, int Refused, IReadOnlyList<PropertyFailure> Failures, TimeSpan Elapsed)
{
    internal int Count => Combinations.Count;

    internal string Summary =>
        $"seed {Seed}: {Count} combinations, {Built} built, {Refused} refused, {Failures.Count} disagreements, {Elapsed.TotalSeconds:F1} s";

    /// <summary>The failure message: how to rerun the walk, then the first disagreements.</summary>
    internal string Explain(int limit = 40) =>
        $"seed {Seed} (rerun with QCOWKIT_PROPERTY_SEED={Seed} QCOWKIT_PROPERTY_COUNT={Count}): {Failures.Count} of {Built} built combinations disagree with qemu-img:\n"
        + string.Join('\n', Failures.Take(limit));
}
