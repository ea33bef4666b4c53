using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

/// <summary>Each catalogue kind on the cluster sizes and refcount widths it accepts, against qemu-img.</summary>
[Parallelizable(ParallelScope.All)]
public class CatalogueSweepTests
{
    private static IEnumerable<TestCaseData> Kinds() => Enum.GetValues<Corruption>().Select(k => new TestCaseData(k).SetArgDisplayNames(k.ToString()));

    [TestCaseSource(nameof(Kinds))]
    public void The_catalogue_outcome_is_the_verdict_of_the_catalogue_fixture(Corruption kind)
    {
        using var temp = new TempDirectory("catalogue-outcome");
        var built = QcowFixture.From(CorruptionCatalogue.CatalogueOptions(kind)).Build(temp.File("catalogue.qcow2"));
        var outcome = CorruptionCatalogue.Get(kind).Outcome;
        Assert.That(new CheckOutcome(built.Expected.CheckExitCode, built.Expected.Corruptions, built.Expected.Leaks, built.Expected.CheckErrors, built.Expected.CanOpen),
            Is.EqualTo(outcome));
    }

    [TestCaseSource(nameof(Kinds))]
    public void Qemu_img_agrees_on_every_cluster_size_and_refcount_width_the_kind_accepts(Corruption kind)
    {
        using var temp = new TempDirectory("catalogue-sweep");
        var checkedCount = 0;
        foreach (var clusterSize in new[] { 512, 2048, 65536 })
        {
            foreach (var bits in new[] { 1, 16, 64 })
            {
                var options = CorruptionCatalogue.CatalogueOptions(kind);
                options = options with
                {
                    ClusterSize = options.ExtendedL2 ? Math.Max(clusterSize, 16384) : clusterSize,
                    RefcountBits = options.Version == 2 ? 16 : bits,
                };
                var path = temp.File($"{clusterSize}-{bits}.qcow2");
                BuiltFixture built;
                try
                {
                    built = QcowFixture.From(options).Build(path);
                }
                catch (ArgumentException)
                {
                    continue;
                }
                checkedCount++;
                Assert.That(QemuVerdict.Of(built.ImagePath), Is.EqualTo(built.Expected), () => $"{kind}, cluster {options.ClusterSize}, refcount {options.RefcountBits}");
            }
        }
        Assert.That(checkedCount, Is.Positive, "the kind applies to some cluster size and refcount width");
    }
}
