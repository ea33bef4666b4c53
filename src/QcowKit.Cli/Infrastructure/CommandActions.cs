using System.CommandLine;

namespace QcowKit.Cli.Infrastructure;

/// <summary>
/// Attaches a body to a command with the error handling every verb shares: a <see cref="CliException"/>
/// prints its one line and exits with its code; a <see cref="HostFileException"/> prints
/// <c>qcowkit: error: FILE: MESSAGE</c>; any other I/O or format failure prints
/// <c>qcowkit: error: MESSAGE</c> and exits with the command's general failure code. An engine
/// message's deliberate second line (<see cref="ErrorLines"/>) follows on its own line.
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
        catch (CliException ex) when (ex.InnerException is QcowImageLockedException locked)
        {
            WriteLocked(context, locked);
            return ex.ExitCode;
        }
        catch (CliException ex)
        {
            context.Error.WriteLine(ex.Text);
            return ex.ExitCode;
        }
        catch (QcowImageLockedException ex)
        {
            WriteLocked(context, ex);
            return failureExitCode;
        }
        catch (HostFileException ex) when (ex.FileName.Length > 0)
        {
            context.Error.WriteLine(new CliException(ex.FileName, Lines(ex.Message), failureExitCode, ex).Text);
            return failureExitCode;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("qcowkit: error: cancelled");
            return failureExitCode;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException
                                       or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            context.Error.WriteLine(new CliException(null, Lines(ex.Message), failureExitCode, ex).Text);
            return failureExitCode;
        }
    }

    /// <summary>qemu's two lines for an image another process holds: the reason with the file, then qemu's question.</summary>
    private static void WriteLocked(CommandContext context, QcowImageLockedException locked)
    {
        context.Error.WriteLine($"qcowkit: error: {locked.FileName}: {locked.Reason}");
        context.Error.WriteLine(locked.Hint);
    }

    /// <summary>
    /// Runs an engine operation on <paramref name="path"/> the way the in-place verbs (rebase, commit) report failures:
    /// a refused request as <c>qcowkit: error: MESSAGE</c>, an image that cannot be used as <c>qcowkit: error: FILE: MESSAGE</c>;
    /// lock refusals and host-file failures pass through to <see cref="Set"/>'s handlers.
    /// </summary>
    public static void RunOnImage(string path, Action operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            operation();
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(null, Lines(ex.Message), 1, ex);
        }
        catch (Exception ex) when (ex is IOException and not (QcowImageLockedException or HostFileException) or UnauthorizedAccessException)
        {
            throw new CliException(path, Images.ImageOpener.Describe(ex), 1, ex);
        }
    }

    /// <summary>Exception messages sometimes span lines by accident; an error that must stay one line joins them.</summary>
    public static string OneLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.ReplaceLineEndings(" ").Trim();
    }

    /// <summary>
    /// An engine message ready to follow <c>qcowkit: error: </c>: trimmed, line endings made <c>\n</c>, blank lines
    /// dropped. Its lines stay separate lines, as qemu-img prints them (amend's <c>Invalid parameter 'cluster_size'</c>
    /// then <c>This option is only supported for image creation</c>); <see cref="OneLine"/> made one line of them that
    /// qemu never prints.
    /// </summary>
    public static string Lines(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var lines = message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', lines);
    }
}
