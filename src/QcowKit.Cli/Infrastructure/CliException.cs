namespace QcowKit.Cli.Infrastructure;

/// <summary>
/// A failure the user should see as one line, <c>qcowkit: error: FILE: MESSAGE</c>, with the exit code
/// qemu-img gives for it, plus the deliberate second line of the engine exception behind it, if any
/// (see <see cref="ErrorLines"/>). Commands throw it; <see cref="CommandActions"/> prints it.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException(string? file, string message, int exitCode = 1, Exception? innerException = null)
        : base(message, innerException)
    {
        File = file;
        ExitCode = exitCode;
    }

    public CliException()
    {
    }

    public CliException(string message) : base(message)
    {
    }

    public CliException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The file the failure concerns, or null when it concerns none.</summary>
    public string? File { get; }

    /// <summary>The process exit code for this failure.</summary>
    public int ExitCode { get; } = 1;

    /// <summary>The line printed on stderr.</summary>
    public string Line => File is null ? $"qcowkit: error: {Message}" : $"qcowkit: error: {File}: {Message}";

    /// <summary>What is printed on stderr: <see cref="Line"/>, then the engine's deliberate second line if it gave one.</summary>
    public string Text => InnerException?.SecondLine() is { } second ? $"{Line}\n{second}" : Line;
}
