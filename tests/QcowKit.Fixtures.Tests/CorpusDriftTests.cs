using QcowKit.Fixtures.Manifest;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

public class CorpusDriftTests
{
    [Test]
    public void Regenerating_the_corpus_gives_the_committed_bytes()
    {
        using var temp = new TempDirectory("fixture-drift");
        var manifest = FixtureCorpus.Generate(temp.Path, QcowFixtures.All);
        var committed = Corpus.Manifest;
        Assert.That(manifest.ToJson(), Is.EqualTo(committed.ToJson()), "manifest.json drifted: rerun `qcowkit fixture --all -o fixtures` and review the diff");
        Assert.That(File.ReadAllText(Path.Combine(temp.Path, FixtureManifest.FileName)), Is.EqualTo(File.ReadAllText(Path.Combine(Corpus.Directory, FixtureManifest.FileName))));
        var drifted = manifest.Fixtures.SelectMany(f => f.Files)
            .Where(f => !File.ReadAllBytes(Path.Combine(temp.Path, f.Path)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(Corpus.Directory, f.Path))))
            .Select(f => f.Path)
            .ToList();
        Assert.That(drifted, Is.Empty, "these files differ from fixtures/");
    }

    [Test]
    public void The_committed_files_match_the_manifest_hashes()
    {
        var files = Corpus.Manifest.Fixtures.SelectMany(f => f.Files).ToList();
        var mismatched = files.Where(f => Hashing.Sha256OfFile(Path.Combine(Corpus.Directory, f.Path)) != f.Sha256).Select(f => f.Path).ToList();
        Assert.That(mismatched, Is.Empty);
    }

    [Test]
    public void The_corpus_holds_only_manifest_files_and_stays_within_10_MiB()
    {
        var listed = Corpus.Manifest.Fixtures.SelectMany(f => f.Files).Select(f => f.Path).Append(FixtureManifest.FileName).Append(".gitattributes").ToHashSet(StringComparer.Ordinal);
        var present = Directory.GetFiles(Corpus.Directory).Select(Path.GetFileName).ToList();
        Assert.That(present, Is.EquivalentTo(listed));
        var total = Directory.GetFiles(Corpus.Directory).Sum(f => new FileInfo(f).Length);
        Assert.That(total, Is.LessThanOrEqualTo(10L * 1024 * 1024));
    }

    [Test]
    public void The_corpus_covers_every_corruption_kind()
    {
        var covered = Corpus.Manifest.Fixtures.Where(f => f.Corruption is not null).Select(f => f.Corruption!).ToHashSet(StringComparer.Ordinal);
        var kinds = CorruptionCatalogue.All.Select(c => c.Name).ToList();
        Assert.That(kinds, Has.Count.GreaterThanOrEqualTo(30));
        Assert.That(covered, Is.SupersetOf(kinds));
    }

    [Test]
    public void The_corpus_covers_every_feature_bit_and_both_compression_types()
    {
        var options = Corpus.Manifest.Fixtures.Where(f => f.Corruption is null).Select(f => f.Options).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(options.Any(o => o.Dirty), "dirty");
            Assert.That(options.Any(o => o.CorruptBit), "corrupt");
            Assert.That(options.Any(o => o.DataFile == FixtureDataFile.External), "external data file");
            Assert.That(options.Any(o => o.CompressionType == "zstd" && o.CompressedFraction != "0"), "compression type (zstd)");
            Assert.That(options.Any(o => o.CompressionType == "deflate" && o.CompressedFraction != "0"), "deflate");
            Assert.That(options.Any(o => o.ExtendedL2), "extended L2");
            Assert.That(options.Any(o => o.LazyRefcounts), "lazy refcounts");
            Assert.That(options.Any(o => o.Bitmaps > 0), "bitmaps");
            Assert.That(options.Any(o => o.DataFile == FixtureDataFile.ExternalRaw), "raw external data");
            Assert.That(options.Any(o => o.ExtraCompatibleBits != "0x0"), "unknown compatible bit");
            Assert.That(options.Any(o => o.ExtraAutoclearBits != "0x0"), "unknown autoclear bit");
            Assert.That(options.Select(o => o.RefcountBits).Distinct(), Is.EquivalentTo(new[] { 1, 2, 4, 8, 16, 32, 64 }), "refcount widths");
            Assert.That(options.Select(o => o.ClusterSize).Distinct(), Does.Contain(512).And.Contain(65536), "cluster sizes");
        });
    }
}
