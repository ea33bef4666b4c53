namespace QcowKit.Fixtures;

/// <summary>Where guest data lives.</summary>
public enum FixtureDataFile
{
    /// <summary>In the qcow2 file itself.</summary>
    Internal,

    /// <summary>In an external data file (incompatible bit 2), guest offset equal to host offset.</summary>
    External,

    /// <summary>In an external data file that is also a valid raw image (autoclear bit 1).</summary>
    ExternalRaw,
}
