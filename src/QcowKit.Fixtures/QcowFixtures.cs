using System.Collections.Concurrent;
using QcowKit.Fixtures.Content;
using QcowKit.Format;

namespace QcowKit.Fixtures;

/// <summary>
/// The fixture catalogue and test helpers. Test-case sources need no test framework:
/// <c>[TestCaseSource(typeof(QcowFixtures), nameof(QcowFixtures.Corrupted))]</c> passes each
/// <see cref="FixtureDefinition"/> to the test, and <see cref="Get(FixtureDefinition)"/> builds it once per process.
/// </summary>
public static class QcowFixtures
{
    private static readonly FixtureDefinition[] CleanDefinitions = [.. CleanCatalogue()];

    private static readonly FixtureDefinition[] CorruptedDefinitions =
    [
        .. CorruptionCatalogue.All.Select(c => new FixtureDefinition("corrupt-" + c.Name, c.Description, CorruptionCatalogue.CatalogueOptions(c.Kind))),
    ];

    // The one piece of process-wide state, by design: fixtures are built once per test process and shared.
    private static readonly ConcurrentDictionary<string, Lazy<BuiltFixture>> Cache = new(StringComparer.Ordinal);
    private static readonly Lazy<string> CacheFolder = new(CreateCacheFolder);

    /// <summary>Clean fixtures: every feature bit, both compression types, cluster sizes and refcount widths.</summary>
    public static IEnumerable<FixtureDefinition> Clean => CleanDefinitions;

    /// <summary>One fixture per corruption kind.</summary>
    public static IEnumerable<FixtureDefinition> Corrupted => CorruptedDefinitions;

    /// <summary>Clean, then corrupted.</summary>
    public static IEnumerable<FixtureDefinition> All => CleanDefinitions.Concat(CorruptedDefinitions);

    /// <summary>The definition with this name.</summary>
    /// <exception cref="KeyNotFoundException">No fixture has that name.</exception>
    public static FixtureDefinition Find(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"No fixture is named '{name}'; `qcowkit fixture --list` lists them.");

    /// <summary>
    /// Builds <paramref name="definition"/> on first use into a per-process temporary folder and returns the same result
    /// afterwards. The image names its external data file (if it has one) by its full path, so qemu-img and the engine
    /// open it from any working directory; the image's bytes therefore differ from <see cref="FixtureDefinition.Build"/>'s
    /// (which stores the relative name) in that header extension only.
    /// </summary>
    public static BuiltFixture Get(FixtureDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var key = $"{definition.Name}@{definition.Options.Seed}";
        return Cache.GetOrAdd(key, _ => new Lazy<BuiltFixture>(() =>
        {
            var folder = Path.Combine(CacheFolder.Value, key.Replace('@', '-'));
            Directory.CreateDirectory(folder);
            return definition.BuildInPlace(folder);
        })).Value;
    }

    /// <summary>Builds the named catalogue fixture once per process.</summary>
    public static BuiltFixture Get(string name) => Get(Find(name));

    private static string CreateCacheFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"qcowkit-fixtures-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder must not fail the process that made it.
            }
        };
        return folder;
    }

    private static IEnumerable<FixtureDefinition> CleanCatalogue()
    {
        const int KiB = 1024;
        var small = new QcowFixtureOptions { VirtualSize = 128 * KiB, ClusterSize = 4 * KiB, Seed = 11 };
        var subclusterMix = new FixtureContent().Mix(32 * KiB, 512).Hole(32 * KiB).Mix(48 * KiB, 16 * KiB);
        var extended = small with { VirtualSize = 512 * KiB, ClusterSize = 16 * KiB, ExtendedL2 = true, Content = subclusterMix };
        FixtureDefinition D(string name, string description, QcowFixtureOptions options) => new(name, description, options);

        yield return D("clean-v2", "version 2 (compat 0.10), 4 KiB clusters", small with { Version = 2 });
        yield return D("clean-v3", "version 3 (compat 1.1), 4 KiB clusters, the default content mix", small);
        yield return D("clean-cluster-512", "512-byte clusters: several refcount blocks and L2 tables", small with { ClusterSize = 512 });
        yield return D("clean-cluster-64k", "64 KiB clusters (qemu's default)",
            small with { VirtualSize = 1024 * KiB, ClusterSize = 64 * KiB, Content = FixtureContent.DefaultMix(128 * KiB, 64 * KiB) });
        foreach (var bits in new[] { 1, 2, 4, 8, 32, 64 })
        {
            yield return D($"clean-refcount-bits-{bits}", $"refcount_order {System.Numerics.BitOperations.Log2((uint)bits)} ({bits}-bit refcounts)", small with { RefcountBits = bits });
        }
        yield return D("clean-extended-l2", "extended L2 entries: allocated, zero and unallocated subclusters", extended);
        yield return D("clean-extended-l2-zstd", "extended L2 entries with zstd-compressed clusters",
            extended with { CompressionType = CompressionType.Zstd, CompressedFraction = 1 });
        yield return D("clean-lazy-refcounts", "the lazy refcounts compatible bit", small with { LazyRefcounts = true });
        yield return D("clean-dirty-lazy-refcounts", "the dirty bit with lazy refcounts (refcounts consistent)", small with { LazyRefcounts = true, Dirty = true });
        yield return D("clean-corrupt-bit", "the corrupt incompatible bit on consistent metadata", small with { CorruptBit = true });
        yield return D("clean-deflate", "every compressible cluster deflate-compressed", small with { CompressedFraction = 1 });
        yield return D("clean-deflate-half", "half of the compressible clusters deflate-compressed", small with { CompressedFraction = 0.5 });
        yield return D("clean-deflate-refcount-bits-1", "deflate-compressed clusters with 1-bit refcounts (no shared host clusters)",
            small with { CompressedFraction = 1, RefcountBits = 1 });
        yield return D("clean-zstd", "every compressible cluster zstd-compressed (compression type bit)",
            small with { CompressionType = CompressionType.Zstd, CompressedFraction = 1 });
        yield return D("clean-zstd-half", "half of the compressible clusters zstd-compressed",
            small with { CompressionType = CompressionType.Zstd, CompressedFraction = 0.5 });
        yield return D("clean-backing-qcow2", "a qcow2 backing image shows through the holes", small with { Backing = FixtureBacking.Qcow2 });
        yield return D("clean-backing-raw", "a raw backing file shows through the holes", small with { Backing = FixtureBacking.Raw });
        yield return D("clean-v2-backing", "version 2 over a qcow2 backing image (zeros written as data)", small with { Version = 2, Backing = FixtureBacking.Qcow2 });
        yield return D("clean-external-data", "guest data in an external data file", small with { DataFile = FixtureDataFile.External });
        yield return D("clean-external-data-raw", "a raw external data file (autoclear bit 1)", small with { DataFile = FixtureDataFile.ExternalRaw });
        yield return D("clean-snapshots", "two internal snapshots sharing every cluster", small with { Snapshots = 2 });
        yield return D("clean-snapshots-deflate", "an internal snapshot over deflate-compressed clusters", small with { Snapshots = 1, CompressedFraction = 0.5 });
        yield return D("clean-bitmaps", "three persistent bitmaps: data, all-ones and all-zeros tables (autoclear bit 0)", small with { Bitmaps = 3 });
        yield return D("clean-unknown-compatible-bit", "an unknown compatible feature bit (bit 10), which readers ignore", small with { ExtraCompatibleBits = 1UL << 10 });
        yield return D("clean-unknown-autoclear-bit", "an unknown autoclear feature bit (bit 10), which writers clear", small with { ExtraAutoclearBits = 1UL << 10 });
    }
}
