namespace Cake.QcowKit;

/// <summary>
/// Which fixtures of the QcowKit catalogue <see cref="QcowAliases.QcowFixture(Cake.Core.ICakeContext, Cake.Core.IO.DirectoryPath, QcowFixtureSettings?)"/>
/// builds. By default: every clean and every corrupted fixture.
/// </summary>
public sealed class QcowFixtureSettings
{
    /// <summary>Build the clean fixtures (feature bits, compression types, cluster sizes, refcount widths).</summary>
    public bool IncludeClean { get; set; } = true;

    /// <summary>Build the corrupted fixtures (one per corruption kind).</summary>
    public bool IncludeCorrupted { get; set; } = true;

    /// <summary>Only these fixtures (catalogue names, e.g. <c>clean-v3-64k</c>); empty for all selected above.</summary>
    public ISet<string> Names { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Another content seed than the catalogue's, for fresh bytes with the same structure.</summary>
    public int? Seed { get; set; }

    /// <summary>Builds only the clean fixtures.</summary>
    public QcowFixtureSettings WithCleanOnly()
    {
        IncludeClean = true;
        IncludeCorrupted = false;
        return this;
    }

    /// <summary>Builds only the corrupted fixtures.</summary>
    public QcowFixtureSettings WithCorruptedOnly()
    {
        IncludeClean = false;
        IncludeCorrupted = true;
        return this;
    }

    /// <summary>Adds catalogue names to <see cref="Names"/>.</summary>
    public QcowFixtureSettings WithNames(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            Names.Add(name);
        }
        return this;
    }

    /// <summary>Sets <see cref="Seed"/>.</summary>
    public QcowFixtureSettings WithSeed(int seed)
    {
        Seed = seed;
        return this;
    }
}
