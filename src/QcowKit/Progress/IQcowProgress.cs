namespace QcowKit;

/// <summary>What every long operation reports (convert, compare, amend): how much of the work is done.</summary>
public interface IQcowProgress
{
    /// <summary>Fraction done, 0..1.</summary>
    double Fraction { get; }
}
