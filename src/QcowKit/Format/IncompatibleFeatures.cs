namespace QcowKit.Format;

/// <summary>incompatible_features header bits: a reader that does not know a set bit must refuse the image.</summary>
[Flags]
#pragma warning disable CA1711 // "Flags" is the spec's word for these bit sets.
public enum IncompatibleFeatures : ulong
#pragma warning restore CA1711
{
    /// <summary>No bits set.</summary>
    None = 0,

    /// <summary>Bit 0: refcounts may be inconsistent (the image was not closed cleanly with lazy refcounts).</summary>
    Dirty = 1UL << 0,

    /// <summary>Bit 1: metadata is known to be corrupt; only read-only opens are allowed.</summary>
    Corrupt = 1UL << 1,

    /// <summary>Bit 2: guest data lives in an external data file.</summary>
    ExternalDataFile = 1UL << 2,

    /// <summary>Bit 3: the compression_type field is not deflate.</summary>
    CompressionType = 1UL << 3,

    /// <summary>Bit 4: L2 entries are 16 bytes with 32 subclusters per cluster.</summary>
    ExtendedL2 = 1UL << 4,
}
