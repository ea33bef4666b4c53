using System.Collections.Concurrent;
using System.Globalization;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

/// <summary>
/// Each catalogue kind on the geometries it accepts (cluster size 512 B..2 MiB × refcount width 1..64, plus extended
/// L2 entries where the cluster size allows them), against qemu-img. The cross product is 147 geometries per kind; with
/// QCOWKIT_SWEEP=full every kind is built on all of them, otherwise on <see cref="CheckedPerKind"/> accepted geometries
/// drawn from a seeded shuffle that rotates daily (QCOWKIT_SWEEP_SEED overrides it), so the suite stays cheap and
/// successive runs cover the whole product.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class CatalogueSweepTests
{
    /// <summary>Geometries checked per kind when not in full mode.</summary>
    private const int CheckedPerKind = 5;

    private static readonly bool Full = string.Equals(Environment.GetEnvironmentVariable("QCOWKIT_SWEEP"), "full", StringComparison.OrdinalIgnoreCase);

    private static readonly int SweepSeed =
        int.TryParse(Environment.GetEnvironmentVariable("QCOWKIT_SWEEP_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : DateOnly.FromDateTime(DateTime.UtcNow).DayNumber;

    /// <summary>Per-kind tallies, printed once the fixture's tests are done.</summary>
    private static readonly ConcurrentDictionary<Corruption, (int Checked, int Refused, int Disagreements)> Tallies = new();

    private static IEnumerable<TestCaseData> Kinds() => Enum.GetValues<Corruption>().Select(k => new TestCaseData(k).SetArgDisplayNames(k.ToString()));

    /// <summary>Every geometry: 13 cluster sizes × 7 refcount widths, and extended L2 on the 8 cluster sizes of 16 KiB and more.</summary>
    internal static IReadOnlyList<Geometry> AllGeometries { get; } =
    [
        .. from clusterBits in Enumerable.Range(9, 13)
           from refcountBits in new[] { 1, 2, 4, 8, 16, 32, 64 }
           from extendedL2 in new[] { false, true }
           where !extendedL2 || clusterBits >= 14
           select new Geometry(1 << clusterBits, refcountBits, extendedL2),
    ];

    [OneTimeTearDown]
    public static void PrintTotals()
    {
        var t = Tallies.Values;
        TestContext.Progress.WriteLine(
            $"catalogue sweep ({(Full ? "full" : $"{CheckedPerKind} per kind")}, seed {SweepSeed}): {Tallies.Count} kinds, "
            + $"{t.Sum(x => x.Checked)} fixtures checked against qemu-img, {t.Sum(x => x.Refused)} refusals, {t.Sum(x => x.Disagreements)} disagreements");
    }

    [TestCaseSource(nameof(Kinds))]
    public void The_catalogue_outcome_is_the_verdict_of_the_catalogue_fixture(Corruption kind)
    {
        using var temp = new TempDirectory("catalogue-outcome");
        var built = QcowFixture.From(CorruptionCatalogue.CatalogueOptions(kind)).Build(temp.File("catalogue.qcow2"));
        var outcome = CorruptionCatalogue.Get(kind).Outcome;
        Assert.That(new CheckOutcome(built.Expected.CheckExitCode, built.Expected.Corruptions, built.Expected.Leaks, built.Expected.CheckErrors, built.Expected.CanOpen),
            Is.EqualTo(outcome));
    }

    [Test]
    public void The_sweep_covers_every_cluster_size_and_refcount_width_with_and_without_extended_L2()
    {
        Assert.That(AllGeometries, Has.Count.EqualTo((13 * 7) + (8 * 7)));
        Assert.That(AllGeometries.Select(g => g.ClusterSize).Distinct(), Is.EquivalentTo(Enumerable.Range(9, 13).Select(b => 1 << b)));
        Assert.That(AllGeometries.Select(g => g.RefcountBits).Distinct(), Is.EquivalentTo(new[] { 1, 2, 4, 8, 16, 32, 64 }));
        Assert.That(AllGeometries.Where(g => g.ExtendedL2).Select(g => g.ClusterSize).Distinct(), Is.EquivalentTo(Enumerable.Range(14, 8).Select(b => 1 << b)));
    }

    [TestCaseSource(nameof(Kinds))]
    public void Qemu_img_agrees_on_every_geometry_the_kind_accepts_and_refusals_write_nothing(Corruption kind)
    {
        using var temp = new TempDirectory("catalogue-sweep");
        var order = Full ? AllGeometries : Shuffled(AllGeometries, new Random(unchecked((SweepSeed * 1009) + (int)kind)));
        var disagreements = new List<string>();
        var refusals = new Dictionary<string, int>(StringComparer.Ordinal);
        var checkedCount = 0;
        foreach (var geometry in order)
        {
            if (!Full && checkedCount == CheckedPerKind)
            {
                break;
            }
            var options = geometry.Apply(CorruptionCatalogue.CatalogueOptions(kind));
            var folder = Path.Combine(temp.Path, geometry.FolderName);
            Directory.CreateDirectory(folder);
            BuiltFixture built;
            try
            {
                built = QcowFixture.From(options).Build(Path.Combine(folder, "image.qcow2"));
            }
            catch (ArgumentException ex)
            {
                // A refusal is the builder saying "qcow2 or this corruption cannot have that": it must come before any write.
                Assert.That(Directory.EnumerateFileSystemEntries(folder), Is.Empty, () => $"{kind} on {geometry} was refused ({ex.Message}) after writing files");
                var reason = ex.Message.Split(':')[0];
                refusals[reason] = refusals.GetValueOrDefault(reason) + 1;
                continue;
            }
            checkedCount++;
            var actual = QemuVerdict.Of(built.ImagePath);
            if (actual != built.Expected)
            {
                disagreements.Add($"{kind} on {geometry}\n    expected {built.Expected}\n    qemu-img {actual}");
            }
            Directory.Delete(folder, recursive: true);
        }
        var refused = refusals.Values.Sum();
        Tallies[kind] = (checkedCount, refused, disagreements.Count);
        TestContext.Out.WriteLine($"{kind}: {checkedCount} geometries checked, {refused} refused (seed {SweepSeed}{(Full ? ", full" : string.Empty)})");
        foreach (var (reason, count) in refusals.OrderByDescending(r => r.Value))
        {
            TestContext.Out.WriteLine($"    refused {count}x: {reason}");
        }

        Assert.That(disagreements, Is.Empty, () => $"seed {SweepSeed} (rerun with QCOWKIT_SWEEP_SEED={SweepSeed}): {disagreements.Count} of {checkedCount} disagree:\n"
            + string.Join('\n', disagreements.Take(20)));
        // Every kind applies to several geometries; a kind that the builder refuses almost everywhere is a catalogue bug.
        Assert.That(checkedCount, Is.AtLeast(CheckedPerKind), "geometries the kind was checked on");
    }

    private static List<Geometry> Shuffled(IReadOnlyList<Geometry> geometries, Random random)
    {
        var list = geometries.ToList();
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list));
        return list;
    }

    /// <summary>The layout parameters the sweep varies; everything else stays as the catalogue entry has it.</summary>
    internal sealed record Geometry(int ClusterSize, int RefcountBits, bool ExtendedL2)
    {
        internal QcowFixtureOptions Apply(QcowFixtureOptions options) =>
            options with { ClusterSize = ClusterSize, RefcountBits = RefcountBits, ExtendedL2 = ExtendedL2 };

        internal string FolderName => string.Create(CultureInfo.InvariantCulture, $"{ClusterSize}-{RefcountBits}{(ExtendedL2 ? "-x" : string.Empty)}");

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"cluster {ClusterSize}, refcount {RefcountBits}{(ExtendedL2 ? ", extended L2" : string.Empty)}");
    }
}
