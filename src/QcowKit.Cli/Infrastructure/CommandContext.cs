using System.CommandLine;

namespace QcowKit.Cli.Infrastructure;

/// <summary>What a command's body gets: the parsed arguments and where to write.</summary>
internal sealed class CommandContext
{
    public CommandContext(ParseResult parseResult, CancellationToken cancellationToken)
    {
        ParseResult = parseResult;
        Out = parseResult.InvocationConfiguration.Output;
        Error = parseResult.InvocationConfiguration.Error;
        CancellationToken = cancellationToken;
    }

    public ParseResult ParseResult { get; }

    /// <summary>Standard output (captured by tests).</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error: errors, warnings, progress.</summary>
    public TextWriter Error { get; }

    /// <summary>Cancelled on Ctrl+C.</summary>
    public CancellationToken CancellationToken { get; }

    public T GetValue<T>(Option<T> option) => ParseResult.GetValue(option)!;

    public T GetValue<T>(Argument<T> argument) => ParseResult.GetValue(argument)!;

    /// <summary>A progress bar on stderr when <paramref name="enabled"/>, a silent one otherwise.</summary>
    public ProgressBar Progress(bool enabled, double minimumStep) => new(enabled ? Error : null, minimumStep);
}
