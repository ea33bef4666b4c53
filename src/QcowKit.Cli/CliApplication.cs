using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using QcowKit.Cli.Commands;

namespace QcowKit.Cli;

/// <summary>
/// The <c>qcowkit</c> command line. Each verb lives in Commands/&lt;Verb&gt;Command.cs with a static
/// <c>Create()</c> returning its <see cref="Command"/>; adding a verb is one file plus one line in
/// <see cref="Verbs"/>.
/// </summary>
internal static class CliApplication
{
    /// <summary>Every verb, in the order help lists them.</summary>
    private static readonly Func<Command>[] Verbs =
    [
        InfoCommand.Create,
        MeasureCommand.Create,
        CheckCommand.Create,
        CreateCommand.Create,
        ConvertCommand.Create,
        ResizeCommand.Create,
        SnapshotCommand.Create,
        AmendCommand.Create,
        RebaseCommand.Create,
        CommitCommand.Create,
        BitmapCommand.Create,
        DdCommand.Create,
        CompareCommand.Create,
        MapCommand.Create,
        SeedCommand.Create,
        FixtureCommand.Create,
    ];

    /// <summary>The program name help and errors print: the tool command, whatever the executable is called.</summary>
    public const string ProgramName = "qcowkit";

    /// <summary>qemu-img's last line of a usage error (qemu-img 7.2 ends it without a full stop).</summary>
    public const string TryHelpLine = $"Try '{ProgramName} --help' for more information";

    /// <summary>
    /// The root command with every verb. A plain <see cref="Command"/> named <see cref="ProgramName"/> with the options
    /// <see cref="RootCommand"/> adds: a RootCommand takes its name from the executable, which is <c>QcowKit.Cli</c>
    /// (the assembly) for the portable tool and the tests, so help would say <c>Usage: QcowKit.Cli</c>.
    /// </summary>
    public static Command CreateRootCommand()
    {
        var root = new Command(ProgramName, "qcowkit: build, inspect and validate qcow2 disk images; flags, output and exit codes follow qemu-img")
        {
            new HelpOption(),
            new VersionOption(),
        };
        foreach (var create in Verbs)
        {
            root.Subcommands.Add(create());
        }
        return root;
    }

    /// <summary>Runs the command line on the console.</summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the command line with its output captured (tests run verbs in-process this way).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        // Image names may start with '@': never read them as response files.
        var parserConfiguration = new ParserConfiguration { ResponseFileTokenReplacer = null };
        if (args.Count > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal))
        {
            return Suggest(args, output, error);
        }
        var parseResult = CreateRootCommand().Parse(args, parserConfiguration);
        if (UsageErrors(parseResult) is { Count: > 0 } usageErrors)
        {
            // qemu-img's usage error: what is wrong, then where to read more; not the whole help text. Exit code 1, as qemu-img.
            foreach (var message in usageErrors)
            {
                error.WriteLine($"{ProgramName}: error: {message}");
            }
            error.WriteLine(TryHelpLine);
            error.Flush();
            return 1;
        }
        // SIGINT and SIGTERM cancel the verb's token; the verb then removes its incomplete output and returns. The
        // timeout only bounds a verb that does not stop: past it the process exits (130 or 143) with the verb running.
        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
        var exitCode = parseResult.Invoke(invocation);
        output.Flush();
        error.Flush();
        return exitCode;
    }

    /// <summary>
    /// Shell completion (System.CommandLine's <c>[suggest]</c> directive, which <c>dotnet-suggest</c> calls): only a
    /// <see cref="RootCommand"/> carries directives, so completions are answered by one holding the same verbs.
    /// </summary>
    private static int Suggest(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("qcowkit");
        foreach (var create in Verbs)
        {
            root.Subcommands.Add(create());
        }
        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        output.Flush();
        return exitCode;
    }

    /// <summary>
    /// The usage errors of <paramref name="parseResult"/>, empty when it runs a verb or help. System.CommandLine takes a
    /// token such as <c>--bogus</c> that names no option for an argument (the image name): qemu-img's getopt refuses it
    /// as an unrecognized option, and so does qcowkit, except after <c>--</c> and for a relative size such as
    /// <c>-1G</c> (resize), which starts with a digit.
    /// </summary>
    internal static IReadOnlyList<string> UsageErrors(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var runsVerb = parseResult.Action is not null && parseResult.Action == parseResult.CommandResult.Command.Action;
        if (!runsVerb && parseResult.Action is not ParseErrorAction)
        {
            return []; // help or version
        }
        // An option-like argument: --bogus taken for the image name (and, on a parse error, leaving the real image name
        // unmatched: name the option, not the image).
        var unrecognized = parseResult.UnmatchedTokens.FirstOrDefault(LooksLikeOption) ?? OptionLikeArgument(parseResult);
        if (unrecognized is not null)
        {
            return [$"unrecognized option '{unrecognized}'"];
        }
        return runsVerb ? [] : [.. parseResult.Errors.Select(parseError => parseError.Message).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The first argument of the verb that looks like an option and does not follow <c>--</c>, or null.</summary>
    private static string? OptionLikeArgument(ParseResult parseResult)
    {
        var afterDoubleDash = new HashSet<Token>(parseResult.Tokens.SkipWhile(token => token.Type != TokenType.DoubleDash), ReferenceEqualityComparer.Instance);
        return parseResult.CommandResult.Children.OfType<ArgumentResult>()
            .SelectMany(result => result.Tokens)
            .FirstOrDefault(token => LooksLikeOption(token.Value) && !afterDoubleDash.Contains(token))?.Value;
    }

    private static bool LooksLikeOption(string token) => token.Length > 1 && token[0] == '-' && !char.IsAsciiDigit(token[1]);
}
