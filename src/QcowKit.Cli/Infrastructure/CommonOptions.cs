using System.CommandLine;

namespace QcowKit.Cli.Infrastructure;

/// <summary>
/// qemu-img's flags, one factory each, so every verb spells them the same way. Each call makes a new
/// option (an option belongs to one command).
/// </summary>
internal static class CommonOptions
{
    /// <summary><c>-f FMT</c>: the format of the (first) image; probed when absent.</summary>
    public static Option<string?> Format(string name = "-f", string description = "Image format (qcow2 or raw); probed from the file when omitted") =>
        new(name) { Description = description, HelpName = "FMT" };

    /// <summary><c>-O FMT</c>: the output format.</summary>
    public static Option<string> OutputImageFormat(string defaultFormat = "raw") =>
        new("-O") { Description = $"Output format (default {defaultFormat})", HelpName = "FMT", DefaultValueFactory = _ => defaultFormat };

    /// <summary><c>-o OPTIONS</c>: comma-separated format options, repeatable as in qemu-img.</summary>
    public static Option<string[]> FormatOptions() =>
        new("-o") { Description = "Format options, e.g. cluster_size=65536,compression_type=zstd", HelpName = "OPTIONS", AllowMultipleArgumentsPerToken = false };

    /// <summary><c>-p</c>: show progress.</summary>
    public static Option<bool> Progress() => new("-p", "--progress") { Description = "Show progress on stderr" };

    /// <summary><c>-q</c>: quiet.</summary>
    public static Option<bool> Quiet() => new("-q", "--quiet") { Description = "Print nothing on success" };

    /// <summary>
    /// <c>-U</c>: qemu's "force share": open read-only even while another process writes the image, and keep
    /// nobody from writing it meanwhile. Read-only verbs only, as in qemu-img.
    /// </summary>
    public static Option<bool> ForceShare() => new("-U", "--force-share") { Description = "Open read-only despite other processes' image locks, taking none that keep them from writing" };

    /// <summary>qemu-img's refusal of <c>-U</c> with a verb that writes the image.</summary>
    public static CliException ForceShareWithWrite(string path) =>
        new(path, "force-share=on can only be used with read-only images");

    /// <summary><c>--output=human|json</c> (also <c>--output json</c>).</summary>
    public static Option<OutputFormat> Output()
    {
        var option = new Option<OutputFormat>("--output")
        {
            Description = "Output format: human or json",
            HelpName = "human|json",
            DefaultValueFactory = _ => OutputFormat.Human,
        };
        option.AcceptOnlyFromAmong("human", "json");
        return option;
    }

    /// <summary>Splits qemu-style <c>key=value,key=value</c> lists (a doubled comma is a literal comma).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseKeyValues(IEnumerable<string>? lists)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (lists is null) return result;
        foreach (var list in lists)
        {
            foreach (var item in SplitOnSingleCommas(list))
            {
                if (item.Length == 0) continue;
                var equals = item.IndexOf('=', StringComparison.Ordinal);
                result.Add(equals < 0
                    ? new KeyValuePair<string, string>(item, "on")
                    : new KeyValuePair<string, string>(item[..equals], item[(equals + 1)..]));
            }
        }
        return result;
    }

    private static IEnumerable<string> SplitOnSingleCommas(string text)
    {
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ',')
            {
                if (i + 1 < text.Length && text[i + 1] == ',')
                {
                    current.Append(',');
                    i++;
                    continue;
                }
                yield return current.ToString();
                current.Clear();
                continue;
            }
            current.Append(text[i]);
        }
        yield return current.ToString();
    }
}
