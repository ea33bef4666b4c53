using QcowKit.Fixtures.Manifest;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

/// <summary>The committed corpus in fixtures/ and its manifest.</summary>
internal static class Corpus
{
    internal static string Directory => Path.Combine(RepoPaths.Root, "fixtures");

    internal static FixtureManifest Manifest => FixtureManifest.Read(Directory);

    /// <summary>One test case per manifest entry, named after the fixture.</summary>
    internal static IEnumerable<TestCaseData> Entries() =>
        Manifest.Fixtures.Select(f => new TestCaseData(f).SetArgDisplayNames(f.Name));

    internal static string ImagePath(ManifestFixture fixture) => Path.Combine(Directory, fixture.Files[0].Path);
}
