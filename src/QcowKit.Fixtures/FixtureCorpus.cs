using QcowKit.Fixtures.Manifest;

namespace QcowKit.Fixtures;

/// <summary>Builds a set of catalogue fixtures into a folder with a manifest.json (what <c>qcowkit fixture</c> and the committed fixtures/ use).</summary>
public static class FixtureCorpus
{
    /// <summary>
    /// Builds <paramref name="definitions"/> into <paramref name="directory"/> (created when missing) and
    /// writes the manifest. With <paramref name="seed"/>, every fixture's content uses that seed.
    /// </summary>
    public static FixtureManifest Generate(string directory, IEnumerable<FixtureDefinition> definitions, int? seed = null)
        => Build(directory, definitions, seed).Manifest;

    /// <summary>
    /// Like <see cref="Generate"/>, and also returns every built fixture (paths, expected verdicts), so a
    /// caller that validates the fixtures it just wrote (the Cake alias, the repository's pipeline) writes
    /// the same manifest as <c>qcowkit fixture</c>.
    /// </summary>
    public static (FixtureManifest Manifest, IReadOnlyList<BuiltFixture> Fixtures) Build(string directory, IEnumerable<FixtureDefinition> definitions, int? seed = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(definitions);
        Directory.CreateDirectory(directory);
        var entries = new List<ManifestFixture>();
        var fixtures = new List<BuiltFixture>();
        foreach (var definition in definitions)
        {
            var effective = seed is { } s ? definition.WithSeed(s) : definition;
            var built = effective.Build(directory);
            entries.Add(FixtureManifest.Describe(effective, built, directory));
            fixtures.Add(built);
        }
        var manifest = new FixtureManifest { Seed = seed, Fixtures = entries };
        File.WriteAllText(Path.Combine(directory, FixtureManifest.FileName), manifest.ToJson());
        return (manifest, fixtures);
    }
}
