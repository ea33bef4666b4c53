namespace QcowKit.Fixtures;

/// <summary>Whether a fixture has a backing image, and its format.</summary>
public enum FixtureBacking
{
    /// <summary>No backing file.</summary>
    None,

    /// <summary>A qcow2 backing image (built by the generator from the next seed), named in the header with backing format qcow2.</summary>
    Qcow2,

    /// <summary>A raw backing file with backing format raw.</summary>
    Raw,
}
