namespace QcowKit.Seed;

/// <summary>The on-disk format of a seeding target.</summary>
public enum SeedImageFormat
{
    /// <summary>Decide from the file name: <c>.qcow2</c> means qcow2, anything else raw.</summary>
    Auto = 0,

    /// <summary>A raw disk image (the file is the guest disk, created sparse).</summary>
    Raw = 1,
}
