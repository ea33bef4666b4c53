namespace QcowKit.Benchmarks;

/// <summary>One side of a row: the commands timed together (e.g. create then check).</summary>
internal sealed record SideCommands(string Tool, IReadOnlyList<CommandLine> Commands);

/// <summary>
/// One comparison: qemu's commands and ours on the same inputs. <see cref="NotAvailable"/> says why
/// our side cannot run on this build (a feature absent from the engine or CLI); such a row is
/// reported as not available, never measured with a substitute. <see cref="Verify"/> (qemu-img check /
/// compare) runs once after QcowKit's first run: a fast but wrong output fails the row.
/// </summary>
internal sealed record SuiteRow(
    string Id,
    string Group,
    string Title,
    SideCommands Qemu,
    SideCommands? Ours,
    string? NotAvailable,
    IReadOnlyList<string> Outputs,
    string Bound,
    IReadOnlyList<CommandLine>? Verify = null);

/// <summary>Runs of one side of a row.</summary>
internal sealed class SideResult
{
    public List<double> Seconds { get; } = [];

    /// <summary>User + system CPU seconds of each run (NaN without /usr/bin/time).</summary>
    public List<double> CpuSeconds { get; } = [];

    public double CpuMedian
    {
        get
        {
            if (CpuSeconds.Count == 0 || CpuSeconds.Any(double.IsNaN)) return double.NaN;
            var sorted = CpuSeconds.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    public long MaxRssKiB { get; set; } = -1;

    public string? Error { get; set; }

    public double Min => Seconds.Count == 0 ? double.NaN : Seconds.Min();

    public double Median
    {
        get
        {
            if (Seconds.Count == 0) return double.NaN;
            var sorted = Seconds.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }
}

/// <summary>A row with its measurements.</summary>
internal sealed record RowResult(SuiteRow Row, SideResult Qemu, SideResult? Ours)
{
    /// <summary>qemu's median over ours: above 1.0 means QcowKit is faster.</summary>
    public double? Ratio => Ours is { Error: null, Seconds.Count: > 0 } && Qemu is { Error: null, Seconds.Count: > 0 }
        ? Qemu.Median / Ours.Median
        : null;

    /// <summary>qemu's median CPU seconds over ours: above 1.0 means QcowKit needs less CPU.</summary>
    public double? CpuRatio => Ratio is not null && Ours!.CpuMedian > 0 && Qemu.CpuMedian > 0 ? Qemu.CpuMedian / Ours.CpuMedian : null;

    public string Status => Row.NotAvailable is not null ? "not available"
        : Qemu.Error is not null || Ours?.Error is not null ? "failed"
        : "measured";
}
