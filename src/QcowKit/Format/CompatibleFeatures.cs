namespace QcowKit.Format;

/// <summary>compatible_features header bits: unknown bits may be ignored.</summary>
[Flags]
#pragma warning disable CA1711 // "Flags" is the spec's word for these bit sets.
public enum CompatibleFeatures : ulong
#pragma warning restore CA1711
{
    /// <summary>No bits set.</summary>
    None = 0,

    /// <summary>Bit 0: refcount updates may be postponed; the dirty bit then guards consistency.</summary>
    LazyRefcounts = 1UL << 0,
}
