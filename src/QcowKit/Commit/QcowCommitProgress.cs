namespace QcowKit.Commit;

/// <summary>How much of the committed data has been written into the base.</summary>
/// <param name="Done">Bytes examined so far, over every layer above the base.</param>
/// <param name="Total">Bytes to examine (the virtual size of every layer above the base).</param>
public readonly record struct QcowCommitProgress(long Done, long Total) : IQcowProgress
{
    /// <inheritdoc />
    public double Fraction => Total == 0 ? 1.0 : (double)Done / Total;
}
