namespace QcowKit.Compare;

/// <summary>Progress of a comparison: guest bytes compared out of the larger virtual size.</summary>
/// <param name="BytesDone">Guest bytes compared so far.</param>
/// <param name="TotalBytes">The larger of the two virtual sizes.</param>
public readonly record struct QcowCompareProgress(long BytesDone, long TotalBytes) : IQcowProgress
{
    /// <summary>Fraction done, 0..1.</summary>
    public double Fraction => TotalBytes == 0 ? 1.0 : (double)BytesDone / TotalBytes;
}
