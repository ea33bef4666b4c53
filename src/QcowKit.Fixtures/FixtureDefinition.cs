namespace QcowKit.Fixtures;

/// <summary>
/// A named fixture of the catalogue: options plus a description. <see cref="ToString"/> is the name, so
/// a test-case source of definitions gives readable test names.
/// </summary>
public sealed class FixtureDefinition
{
    internal FixtureDefinition(string name, string description, QcowFixtureOptions options)
    {
        Name = name;
        Description = description;
        Options = options;
    }

    /// <summary>Unique kebab-case name, also the image's file name without <c>.qcow2</c>.</summary>
    public string Name { get; }

    /// <summary>What the fixture is.</summary>
    public string Description { get; }

    /// <summary>What it is built from.</summary>
    public QcowFixtureOptions Options { get; }

    /// <summary>The corruption applied, or null for a clean fixture.</summary>
    public Corruption? Corruption => Options.Corruptions.Count > 0 ? Options.Corruptions[0] : null;

    /// <summary>The image's file name.</summary>
    public string FileName => Name + ".qcow2";

    /// <summary>The same fixture with another content seed.</summary>
    public FixtureDefinition WithSeed(int seed) => new(Name, Description, Options with { Seed = seed });

    /// <summary>Builds the fixture into <paramref name="directory"/> as <see cref="FileName"/>.</summary>
    public BuiltFixture Build(string directory) => QcowFixture.From(Options).Build(Path.Combine(directory, FileName));

    /// <summary><see cref="Build(string)"/> with the external data file named by its full path (see <see cref="QcowFixtures.Get(FixtureDefinition)"/>).</summary>
    internal BuiltFixture BuildInPlace(string directory) =>
        QcowFixture.From(Options).Build(Path.Combine(directory, FileName), absoluteDataFileName: true, static (_, verdict) => verdict);

    /// <summary>The name.</summary>
    public override string ToString() => Name;
}
