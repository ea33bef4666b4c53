using System.CommandLine;
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

    /// <summary>The root command with every verb.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("qcowkit: build, inspect and validate qcow2 disk images; flags, output and exit codes follow qemu-img");
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
        var parseResult = CreateRootCommand().Parse(args, parserConfiguration);
        // SIGINT and SIGTERM cancel the verb's token; the verb then removes its incomplete output and returns. The
        // timeout only bounds a verb that does not stop: past it the process exits (130 or 143) with the verb running.
        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
        var exitCode = parseResult.Invoke(invocation);
        output.Flush();
        error.Flush();
        return exitCode;
    }
}
