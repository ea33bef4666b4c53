using QcowKit.Fixtures;

namespace QcowKit.Fixtures.Tests;

public class CatalogueVerdictTests
{
    [TestCaseSource(typeof(QcowFixtures), nameof(QcowFixtures.All))]
    public void Expected_verdict_matches_qemu_img(FixtureDefinition definition)
    {
        var built = QcowFixtures.Get(definition);
        var actual = QemuVerdict.Of(built.ImagePath);
        Assert.That(actual, Is.EqualTo(built.Expected), $"{definition.Name}: qemu says {actual}, the catalogue says {built.Expected}");
    }
}
