using QcowKit.Fixtures.Manifest;

namespace QcowKit.Fixtures.Tests;

/// <summary>Every committed fixture against qemu-img: check (exit code and counts), info (opens or not) and convert (guest SHA-256).</summary>
[Parallelizable(ParallelScope.All)]
public class CorpusQemuTests
{
    [TestCaseSource(typeof(Corpus), nameof(Corpus.Entries))]
    public void Qemu_img_gives_the_manifest_verdict(ManifestFixture fixture)
    {
        var actual = QemuVerdict.Of(Corpus.ImagePath(fixture));
        Assert.That(actual, Is.EqualTo(fixture.Expected), () => $"{fixture.Name}: qemu-img says {actual}; manifest says {fixture.Expected}");
    }
}
