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
        new("-O") { Description = "Output format", HelpName = "FMT", DefaultValueFactory = _ => defaultFormat };

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
        new(path, QcowKit.Image.QcowOpenOptions.ForceShareWithWriteMessage);

    /// <summary>
    /// <c>--output=human|json</c> (also <c>--output json</c>). No default value factory: help would print the enum
    /// member (<c>[default: Human]</c>) where users type <c>human</c>; an absent option is <see cref="OutputFormat.Human"/>,
    /// the enum's zero value, all the same.
    /// </summary>
    public static Option<OutputFormat> Output()
    {
        var option = new Option<OutputFormat>("--output")
        {
            Description = "Output format: human (default) or json",
            HelpName = "human|json",
        };
        option.AcceptOnlyFromAmong("human", "json");
        return option;
    }

    /// <summary>
    /// A size argument parsed by the engine (<see cref="QemuSize.Parse"/>), refused as
    /// <c>qcowkit: error: FILE: OPTION: MESSAGE</c>.
    /// </summary>
    public static long ParseSize(string? file, string option, string text)
    {
        try
        {
            return QemuSize.Parse(text);
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(file, $"{option}: {ex.Message}", 1, ex);
        }
    }
}
