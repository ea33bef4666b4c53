using System.Globalization;
using System.Net;

namespace QcowKit.Check;

/// <summary>
/// The self-contained HTML report of a check: verdict, qemu-img check's counts, the findings and an SVG map of the image
/// file. One formatter for every surface (CLI <c>--report</c>, Cake, MSBuild); no scripts and nothing fetched over the
/// network, so a CI artifact opens anywhere. Tooltips are SVG <c>title</c> elements.
/// </summary>
public static class QcowCheckReport
{
    private const int MapWidth = 1000;
    private const int MapHeight = 60;

    /// <summary>
    /// Writes the report of <paramref name="result"/> to <paramref name="destinationPath"/> all-or-nothing: a temporary
    /// file beside it takes the name only when complete, so an interrupted write never leaves half a report. A missing
    /// folder is created.
    /// </summary>
    public static void WriteFile(string destinationPath, QcowCheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        WriteFile(destinationPath, writer => Write(writer, result));
    }

    /// <summary>
    /// Writes the report of a validation to <paramref name="destinationPath"/> all-or-nothing, as
    /// <see cref="WriteFile(string, QcowCheckResult)"/>: the policy's verdict and its findings with their outcomes.
    /// </summary>
    public static void WriteFile(string destinationPath, QcowValidationResult validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        WriteFile(destinationPath, writer => Write(writer, validation));
    }

    private static void WriteFile(string destinationPath, Action<TextWriter> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        // A CI artifact usually goes into a folder of its own that nothing else creates.
        if (Path.GetDirectoryName(Path.GetFullPath(destinationPath)) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        using var output = Image.Files.IncompleteFile.Begin(destinationPath);
        using (var writer = new StreamWriter(output.TemporaryPath, append: false, new System.Text.UTF8Encoding(false)))
        {
            write(writer);
        }
        output.Commit(flushToDisk: true);
    }

    /// <summary>
    /// Writes the report of <paramref name="result"/>; the map is <see cref="QcowCheckResult.HostMap"/> capped at
    /// <see cref="QcowHostMap.DefaultMaxRuns"/> rectangles, so a report stays small however large the image.
    /// </summary>
    public static void Write(TextWriter writer, QcowCheckResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        var (verdict, verdictClass) = Verdict(result);
        Write(writer, result, verdict, verdictClass, result.ExitCode, result.Findings, outcomes: null);
    }

    /// <summary>
    /// Writes the report of a validation: the policy's verdict and exit code, and its findings (the check's and the
    /// policy's) with what the policy makes of each; counts and map as for a check.
    /// </summary>
    public static void Write(TextWriter writer, QcowValidationResult validation)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(validation);
        var verdict = validation.Passed
            ? $"Passed the validation policy ({validation.Summary})."
            : $"Failed the validation policy ({validation.Summary}; {validation.Blocking.Count} blocking).";
        Write(writer, validation.Check, verdict, validation.Passed ? "ok" : "bad", validation.ExitCode, validation.Findings, validation.Outcomes);
    }

    private static void Write(TextWriter writer, QcowCheckResult result, string verdict, string verdictClass, int exitCode,
        IReadOnlyList<QcowFinding> findings, IReadOnlyList<QcowFindingOutcome>? outcomes)
    {
        var inv = CultureInfo.InvariantCulture;
        var name = Encode(result.Filename);
        writer.Write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>qcowkit check: ");
        writer.Write(name);
        writer.Write("</title>\n<style>\n");
        writer.Write("body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}");
        writer.Write(".verdict{font-size:1.3em;font-weight:bold}.ok{color:#1a7f37}.bad{color:#b42318}.warn{color:#b54708}svg{border:1px solid #999;width:100%;height:auto}");
        writer.Write(".legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:1em;height:1em;margin-right:.3em;vertical-align:middle;border:1px solid #666}\n");
        foreach (var kind in Enum.GetValues<QcowClusterKind>())
        {
            writer.Write(string.Create(inv, $".{ClassOf(kind)}{{fill:{ColourOf(kind)};background:{ColourOf(kind)}}}\n"));
        }
        writer.Write("</style></head>\n<body>\n<h1>qcowkit check: ");
        writer.Write(name);
        writer.Write("</h1>\n");
        writer.Write(string.Create(inv, $"<p class=\"verdict {verdictClass}\">{Encode(verdict)} (exit code {exitCode})</p>\n"));

        writer.Write("<h2>Counts</h2>\n<table class=\"counts\">\n");
        Row(writer, "check-errors", result.CheckErrors);
        Row(writer, "corruptions", result.Corruptions);
        Row(writer, "leaks", result.Leaks);
        Row(writer, "corruptions-fixed", result.CorruptionsFixed);
        Row(writer, "leaks-fixed", result.LeaksFixed);
        Row(writer, "image-end-offset", result.ImageEndOffset);
        Row(writer, "total-clusters", result.TotalClusters);
        Row(writer, "allocated-clusters", result.AllocatedClusters);
        Row(writer, "fragmented-clusters", result.FragmentedClusters);
        Row(writer, "compressed-clusters", result.CompressedClusters);
        writer.Write("</table>\n");

        writer.Write(string.Create(inv, $"<h2>Findings ({findings.Count})</h2>\n"));
        if (findings.Count > 0)
        {
            writer.Write(outcomes is null
                ? "<table class=\"findings\"><tr><th>Code</th><th>Severity</th><th>Message</th><th>Offset</th></tr>\n"
                : "<table class=\"findings\"><tr><th>Code</th><th>Severity</th><th>Outcome</th><th>Message</th><th>Offset</th></tr>\n");
            for (var i = 0; i < findings.Count; i++)
            {
                var finding = findings[i];
                var offset = finding.Offset >= 0 ? string.Create(inv, $"0x{finding.Offset:x}") : "";
                var outcome = outcomes is null ? "" : $"<td>{outcomes[i]}</td>";
                writer.Write(string.Create(inv, $"<tr><td>{Encode(finding.Code)}</td><td>{finding.Severity}</td>{outcome}<td>{Encode(finding.Message)}</td><td>{offset}</td></tr>\n"));
            }
            writer.Write("</table>\n");
        }

        writer.Write("<h2>Host file map</h2>\n");
        if (result.HostMap is { } fullMap)
        {
            WriteMap(writer, fullMap.Coarsen(QcowHostMap.DefaultMaxRuns));
        }
        else
        {
            writer.Write("<p>No map: the check did not complete or the map was not collected.</p>\n");
        }
        writer.Write("</body></html>\n");
    }

    private static void WriteMap(TextWriter writer, QcowHostMap map)
    {
        var inv = CultureInfo.InvariantCulture;
        writer.Write(string.Create(inv, $"<p>{map.FileLength} bytes, {map.ClusterCount} clusters of {map.ClusterSize} bytes, drawn as {map.Runs.Count} runs.</p>\n"));
        writer.Write("<p class=\"legend\">");
        foreach (var kind in Enum.GetValues<QcowClusterKind>())
        {
            writer.Write(string.Create(inv, $"<span><i class=\"{ClassOf(kind)}\"></i>{KindName(kind)}</span>"));
        }
        writer.Write("</p>\n");
        // One unit per cluster along x, stretched to the width: one rect per run whatever the file's size. No xmlns: inline SVG in HTML needs none, and the report names no URL.
        var units = Math.Max(1, map.ClusterCount);
        writer.Write(string.Create(inv, $"<svg viewBox=\"0 0 {units} {MapHeight}\" width=\"{MapWidth}\" height=\"{MapHeight}\" preserveAspectRatio=\"none\" shape-rendering=\"crispEdges\">\n"));
        foreach (var run in map.Runs)
        {
            var first = run.FirstCluster * map.ClusterSize;
            var end = (run.FirstCluster + run.ClusterCount) * map.ClusterSize;
            writer.Write(string.Create(inv, $"<rect class=\"{ClassOf(run.Kind)}\" x=\"{run.FirstCluster}\" y=\"0\" width=\"{run.ClusterCount}\" height=\"{MapHeight}\"><title>clusters {run.FirstCluster}-{run.FirstCluster + run.ClusterCount - 1} (0x{first:x}-0x{end - 1:x}): {KindName(run.Kind)}; {Encode(run.Detail)}</title></rect>\n"));
        }
        writer.Write("</svg>\n");
    }

    private static (string Text, string Class) Verdict(QcowCheckResult result) => result switch
    {
        { Completed: false } => ("Check failed: " + (result.Failure ?? "the image could not be checked"), "bad"),
        { ExitCode: 0 } => ("No errors were found on the image.", "ok"),
        { ExitCode: 3 } => ($"{result.Leaks} leaked clusters were found on the image.", "warn"),
        _ => ($"{result.Corruptions} errors were found on the image.", "bad"),
    };

    private static void Row(TextWriter writer, string key, long value) =>
        writer.Write(string.Create(CultureInfo.InvariantCulture, $"<tr><th>{key}</th><td>{value}</td></tr>\n"));

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>The CSS class of a kind's rectangles: <c>k-</c> and the kind in lower case (<c>k-leaked</c>, <c>k-data</c>).</summary>
    public static string ClassOf(QcowClusterKind kind) => "k-" + kind.ToString().ToLowerInvariant();

    /// <summary>A kind in words, as in the legend.</summary>
    public static string KindName(QcowClusterKind kind) => kind switch
    {
        QcowClusterKind.Free => "free",
        QcowClusterKind.Header => "header",
        QcowClusterKind.L1Table => "L1 table",
        QcowClusterKind.L2Table => "L2 table",
        QcowClusterKind.RefcountTable => "refcount table",
        QcowClusterKind.RefcountBlock => "refcount block",
        QcowClusterKind.Data => "data",
        QcowClusterKind.Compressed => "compressed",
        QcowClusterKind.SnapshotTable => "snapshot table",
        QcowClusterKind.Snapshot => "snapshot L1/L2/data",
        QcowClusterKind.EncryptionHeader => "encryption header",
        QcowClusterKind.BitmapDirectory => "bitmap directory",
        QcowClusterKind.BitmapTable => "bitmap table",
        QcowClusterKind.BitmapData => "bitmap data",
        QcowClusterKind.Leaked => "leaked",
        QcowClusterKind.MultiplyReferenced => "multiply referenced",
        _ => kind.ToString(),
    };

    private static string ColourOf(QcowClusterKind kind) => kind switch
    {
        QcowClusterKind.Free => "#f2f2f2",
        QcowClusterKind.Header => "#1f3a93",
        QcowClusterKind.L1Table => "#3f7fbf",
        QcowClusterKind.L2Table => "#7fb3e6",
        QcowClusterKind.RefcountTable => "#6a3d9a",
        QcowClusterKind.RefcountBlock => "#b39ddb",
        QcowClusterKind.Data => "#4caf50",
        QcowClusterKind.Compressed => "#a5d6a7",
        QcowClusterKind.SnapshotTable => "#8d6e63",
        QcowClusterKind.Snapshot => "#d7ccc8",
        QcowClusterKind.EncryptionHeader => "#455a64",
        QcowClusterKind.BitmapDirectory => "#00838f",
        QcowClusterKind.BitmapTable => "#4dd0e1",
        QcowClusterKind.BitmapData => "#b2ebf2",
        QcowClusterKind.Leaked => "#ff9800",
        QcowClusterKind.MultiplyReferenced => "#e53935",
        _ => "#000000",
    };
}
