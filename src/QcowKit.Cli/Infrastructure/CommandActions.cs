using System.CommandLine;

namespace QcowKit.Cli.Infrastructure;

/// <summary>
/// Attaches a body to a command with the error handling every verb shares: a <see cref="CliException"/>
/// prints its one line and exits with its code; any other I/O or format failure prints
/// <c>qcowkit: error: MESSAGE</c> and exits with the command's general failure code.
/// </summary>
internal static class CommandActions
{
    /// <summary>Sets <paramref name="body"/> as <paramref name="command"/>'s action.</summary>
    /// <param name="command">The verb.</param>
    /// <param name="body">Returns the exit code.</param>
    /// <param name="failureExitCode">Exit code for unexpected failures (qemu-img: 1 for most verbs, 2 for compare).</param>
    public static void Set(Command command, Func<CommandContext, int> body, int failureExitCode = 1)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(body);
        // The body runs on the thread pool: System.CommandLine installs its SIGINT/SIGTERM handler (which cancels
        // the token) only once the action has returned its task, so a body run synchronously inside the action could
        // not be cancelled and Ctrl-C would kill the process in the middle of writing.
        command.SetAction((parseResult, cancellationToken) =>
            Task.Run(() => Run(new CommandContext(parseResult, cancellationToken), body, failureExitCode), CancellationToken.None));
    }

    private static int Run(CommandContext context, Func<CommandContext, int> body, int failureExitCode)
    {
        try
        {
            return body(context);
        }
        catch (CliException ex)
        {
            context.Error.WriteLine(ex.Line);
            return ex.ExitCode;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("qcowkit: error: cancelled");
            return failureExitCode;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException
                                       or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            context.Error.WriteLine($"qcowkit: error: {OneLine(ex.Message)}");
            return failureExitCode;
        }
    }

    /// <summary>Exception messages sometimes span lines; the error must stay one line.</summary>
    public static string OneLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.ReplaceLineEndings(" ").Trim();
    }
}
