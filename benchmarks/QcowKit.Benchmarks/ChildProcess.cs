using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace QcowKit.Benchmarks;

/// <summary>One command line: an executable and its arguments.</summary>
internal sealed record CommandLine(string FileName, IReadOnlyList<string> Arguments)
{
    public override string ToString() =>
        string.Join(' ', new[] { Path.GetFileName(FileName) }.Concat(Arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a)));
}

/// <summary>The outcome of one child process.</summary>
internal sealed record ChildResult(int ExitCode, double Seconds, long MaxRssKiB, string StandardOutput, string StandardError, double CpuSeconds = double.NaN);

/// <summary>Runs children, under <c>/usr/bin/time</c> when measuring so their peak RSS is known.</summary>
internal static class ChildProcess
{
    private const string TimeTool = "/usr/bin/time";

    public static bool CanMeasureMemory => File.Exists(TimeTool);

    /// <summary>Runs <paramref name="command"/>; the wall time covers process start to exit.</summary>
    public static ChildResult Measure(CommandLine command)
    {
        if (!CanMeasureMemory) return Run(command);
        var rssFile = Path.GetTempFileName();
        try
        {
            var wrapped = new CommandLine(TimeTool, ["-f", "%M %U %S", "-o", rssFile, command.FileName, .. command.Arguments]);
            var result = Run(wrapped);
            var text = File.ReadAllText(rssFile).Trim();
            // time(1) writes "Command exited with non-zero status N" before the format line.
            var last = (text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "").Split(' ');
            var rss = last.Length == 3 && long.TryParse(last[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kib) ? kib : -1;
            // User + system CPU seconds: on a loaded machine far steadier than wall time.
            var cpu = last.Length == 3
                && double.TryParse(last[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var user)
                && double.TryParse(last[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var system) ? user + system : double.NaN;
            return result with { MaxRssKiB = rss, CpuSeconds = cpu };
        }
        finally
        {
            File.Delete(rssFile);
        }
    }

    public static ChildResult Run(CommandLine command, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        foreach (var argument in command.Arguments) info.ArgumentList.Add(argument);
        var output = new StringBuilder();
        var error = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        stopwatch.Stop();
        return new ChildResult(process.ExitCode, stopwatch.Elapsed.TotalSeconds, -1, output.ToString(), error.ToString());
    }

    /// <summary>Runs a preparation step; throws with its output when it fails.</summary>
    public static ChildResult Check(string fileName, params string[] arguments) => CheckIn(null, null, fileName, arguments);

    /// <summary><see cref="Check(string, string[])"/> in <paramref name="workingDirectory"/> with extra environment variables.</summary>
    public static ChildResult CheckIn(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, string fileName, params string[] arguments)
    {
        var command = new CommandLine(fileName, arguments);
        var result = Run(command, workingDirectory, environment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed with exit code {result.ExitCode}: {result.StandardError.Trim()} {result.StandardOutput.Trim()}");
        }
        return result;
    }
}
