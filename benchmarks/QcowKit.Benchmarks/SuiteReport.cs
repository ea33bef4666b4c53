using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QcowKit.Benchmarks;

/// <summary>The console table, the JSON and the Markdown of one suite run.</summary>
internal sealed class SuiteReport(SuiteOptions options, MachineInfo machine, IReadOnlyList<RowResult> results)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly string[] TableHeader = ["row", "qemu median (min) s", "qcowkit median (min) s", "ratio", "cpu s qemu/ours", "cpu ratio", "qemu RSS MiB", "qcowkit RSS MiB", "status"];

    public string Table()
    {
        var lines = new List<string[]> { TableHeader };
        lines.AddRange(results.Select(r => new[]
        {
            r.Row.Id, Times(r.Qemu), r.Ours is null ? "-" : Times(r.Ours), Ratio(r), Cpu(r), CpuRatio(r), Rss(r.Qemu), r.Ours is null ? "-" : Rss(r.Ours), r.Status,
        }));
        var widths = Enumerable.Range(0, lines[0].Length).Select(c => lines.Max(l => l[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.AppendLine(string.Join("  ", line.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }
        foreach (var result in results.Where(r => r.Row.NotAvailable is not null || r.Status == "failed"))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{result.Row.Id}: {result.Row.NotAvailable ?? result.Qemu.Error ?? result.Ours?.Error}");
        }
        return text.ToString();
    }

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Mode `{options.Mode}`, {options.Runs} run(s) per side (interleaved), {options.DataBytes >> 20} MiB of files in the ext4, {MachineInfo.BuildConfiguration} build, CLI: {options.CliBuild}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine.Processors} cores, {machine.CpuModel}, {machine.MemoryMiB / 1024} GiB RAM, load average {machine.LoadAverage} at start, {machine.LoadAverageAfter} at end.");
        text.AppendLine("Ratio = qemu median / qcowkit median (above 1.0: QcowKit faster); CPU ratio = the same for user + system CPU seconds (steadier than wall time on a loaded machine). `qcowkit*` = the engine run through `QcowKit.Benchmarks engine` (the CLI has no such verb on this build).");
        text.AppendLine();
        text.AppendLine("| Row | Case | qemu median (min) s | qcowkit median (min) s | Ratio | CPU s qemu / ours | CPU ratio | qemu peak RSS MiB | qcowkit peak RSS MiB | Bound by |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var r in results)
        {
            var ours = r.Row.NotAvailable is not null ? "not available" : r.Ours is null ? "-" : $"{Times(r.Ours)} ({r.Row.Ours!.Tool})";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Row.Group} | {r.Row.Title} | {Times(r.Qemu)} ({r.Row.Qemu.Tool}) | {ours} | {Ratio(r)} | {Cpu(r)} | {CpuRatio(r)} | {Rss(r.Qemu)} | {(r.Ours is null ? "-" : Rss(r.Ours))} | {r.Row.Bound} |");
        }
        var notes = results.Where(r => r.Row.NotAvailable is not null || r.Status == "failed").ToList();
        if (notes.Count > 0)
        {
            text.AppendLine();
            foreach (var r in notes) text.AppendLine(CultureInfo.InvariantCulture, $"- `{r.Row.Id}` {r.Status}: {r.Row.NotAvailable ?? r.Qemu.Error ?? r.Ours?.Error}");
        }
        return text.ToString();
    }

    public string Json()
    {
        var rows = new JsonArray();
        foreach (var r in results)
        {
            rows.Add(new JsonObject
            {
                ["id"] = r.Row.Id,
                ["group"] = r.Row.Group,
                ["title"] = r.Row.Title,
                ["status"] = r.Status,
                ["notAvailable"] = r.Row.NotAvailable,
                ["ratio"] = r.Ratio is { } ratio ? Math.Round(ratio, 3) : null,
                ["cpuRatio"] = r.CpuRatio is { } cpuRatio ? Math.Round(cpuRatio, 3) : null,
                ["bound"] = r.Row.Bound,
                ["qemu"] = Side(r.Row.Qemu, r.Qemu),
                ["qcowkit"] = r.Row.Ours is null || r.Ours is null ? null : Side(r.Row.Ours, r.Ours),
            });
        }
        var root = new JsonObject
        {
            ["mode"] = options.Mode,
            ["date"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["build"] = MachineInfo.BuildConfiguration,
            ["cli"] = options.CliBuild,
            ["runsPerSide"] = options.Runs,
            ["dataMiB"] = options.DataBytes >> 20,
            ["machine"] = new JsonObject
            {
                ["processors"] = machine.Processors,
                ["cpu"] = machine.CpuModel,
                ["memoryMiB"] = machine.MemoryMiB,
                ["loadAverageStart"] = machine.LoadAverage,
                ["loadAverageEnd"] = machine.LoadAverageAfter,
            },
            ["rows"] = rows,
        };
        return root.ToJsonString(Indented);
    }

    private static JsonObject Side(SideCommands commands, SideResult result) => new()
    {
        ["tool"] = commands.Tool,
        ["commands"] = new JsonArray([.. commands.Commands.Select(c => (JsonNode?)JsonValue.Create(Shorten(c.ToString())))]),
        ["seconds"] = new JsonArray([.. result.Seconds.Select(s => (JsonNode?)JsonValue.Create(Math.Round(s, 4)))]),
        ["min"] = result.Seconds.Count > 0 ? Math.Round(result.Min, 4) : null,
        ["median"] = result.Seconds.Count > 0 ? Math.Round(result.Median, 4) : null,
        ["peakRssMiB"] = result.MaxRssKiB >= 0 ? Math.Round(result.MaxRssKiB / 1024.0, 1) : null,
        ["cpuSeconds"] = new JsonArray([.. result.CpuSeconds.Where(c => !double.IsNaN(c)).Select(c => (JsonNode?)JsonValue.Create(Math.Round(c, 3)))]),
        ["error"] = result.Error,
    };

    /// <summary>The random-read row's qemu-io line has one -c per read.</summary>
    private static string Shorten(string command) => command.Length <= 400 ? command : $"{command[..400]} ... ({command.Length} chars)";

    private static string Times(SideResult side) => side.Error is not null ? "failed"
        : side.Seconds.Count == 0 ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{side.Median:F3} ({side.Min:F3})");

    private static string Ratio(RowResult r) => r.Ratio is { } ratio ? ratio.ToString("F2", CultureInfo.InvariantCulture) : r.Status == "not available" ? "n/a" : "-";

    private static string Cpu(RowResult r) => r.Ratio is null || double.IsNaN(r.Qemu.CpuMedian) || double.IsNaN(r.Ours!.CpuMedian) ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{r.Qemu.CpuMedian:F2} / {r.Ours.CpuMedian:F2}");

    private static string CpuRatio(RowResult r) => r.CpuRatio is { } ratio ? ratio.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static string Rss(SideResult side) => side.MaxRssKiB >= 0 ? (side.MaxRssKiB / 1024.0).ToString("F1", CultureInfo.InvariantCulture) : "-";
}
