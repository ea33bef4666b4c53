namespace QcowKit.Fixtures;

/// <summary>What a file of a fixture is for.</summary>
public enum FixtureFileRole
{
    /// <summary>The qcow2 image under test.</summary>
    Image,

    /// <summary>Its backing file.</summary>
    Backing,

    /// <summary>Its external data file.</summary>
    DataFile,
}

/// <summary>One file a fixture build wrote.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Role">What it is for.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="Sha256">SHA-256 of its bytes, lower-case hex.</param>
public sealed record FixtureFile(string Path, FixtureFileRole Role, long Length, string Sha256);
