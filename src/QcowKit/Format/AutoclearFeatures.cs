namespace QcowKit.Format;

/// <summary>autoclear_features header bits: a writer that does not know a bit clears it.</summary>
[Flags]
#pragma warning disable CA1711 // "Flags" is the spec's word for these bit sets.
public enum AutoclearFeatures : ulong
#pragma warning restore CA1711
{
    /// <summary>No bits set.</summary>
    None = 0,

    /// <summary>Bit 0: the bitmaps extension is consistent with the image.</summary>
    Bitmaps = 1UL << 0,

    /// <summary>Bit 1: the external data file is a valid raw image (guest offset equals host offset).</summary>
    RawExternalData = 1UL << 1,
}
