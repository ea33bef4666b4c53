namespace QcowKit;

/// <summary>Progress of a conversion: guest bytes processed out of the source's virtual size.</summary>
/// <param name="BytesDone">Guest bytes read, compared and written so far.</param>
/// <param name="TotalBytes">The source's virtual size.</param>
public readonly record struct QcowConvertProgress(long BytesDone, long TotalBytes) : IQcowProgress
{
    /// <summary>Fraction done, 0..1.</summary>
    public double Fraction => TotalBytes == 0 ? 1.0 : (double)BytesDone / TotalBytes;
}
