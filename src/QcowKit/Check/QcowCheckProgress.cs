namespace QcowKit.Check;

/// <summary>Progress of a check: L2 tables of the active L1 table walked so far (the bulk of a check's reads).</summary>
/// <param name="TablesDone">Active L2 tables walked so far.</param>
/// <param name="TotalTables">Distinct L2 tables the active L1 table points at.</param>
public readonly record struct QcowCheckProgress(long TablesDone, long TotalTables) : IQcowProgress
{
    /// <summary>Fraction done, 0..1.</summary>
    public double Fraction => TotalTables == 0 ? 1.0 : (double)TablesDone / TotalTables;
}
