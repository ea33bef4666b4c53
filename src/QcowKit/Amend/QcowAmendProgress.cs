namespace QcowKit;

/// <summary>Progress of an amend: work units done out of the total (each operation qemu counts is one share).</summary>
/// <param name="Done">Units done so far.</param>
/// <param name="Total">Units of the whole amend.</param>
public readonly record struct QcowAmendProgress(long Done, long Total) : IQcowProgress
{
    /// <summary>Fraction done, 0..1.</summary>
    public double Fraction => Total == 0 ? 1.0 : (double)Done / Total;
}
