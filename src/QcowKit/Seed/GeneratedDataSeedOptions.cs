namespace QcowKit.Seed;

/// <summary>
/// Deterministic pseudo-random data for tests: the same seed gives the same bytes, and every 4 KiB block can be
/// recomputed on its own, so a reader can verify any range.
/// </summary>
public sealed class GeneratedDataSeedOptions
{
    /// <summary>Seed of the generator.</summary>
    public long Seed { get; init; }

    /// <summary>Number of bytes to generate.</summary>
    public required long Length { get; init; }

    /// <summary>Byte offset in the target's guest disk where the data starts; a multiple of 512.</summary>
    public long TargetOffset { get; init; }

    /// <summary>Percentage (0 to 100) of 4 KiB blocks left all-zero, so that sparse handling is exercised.</summary>
    public int ZeroBlockPercent { get; init; }
}
