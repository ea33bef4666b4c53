namespace QcowKit.Rebase;

/// <summary>How far a safe rebase has compared the guest disk.</summary>
/// <param name="Done">Guest bytes compared so far.</param>
/// <param name="Total">The guest disk size.</param>
public readonly record struct QcowRebaseProgress(long Done, long Total) : IQcowProgress
{
    /// <inheritdoc />
    public double Fraction => Total == 0 ? 1.0 : (double)Done / Total;
}
