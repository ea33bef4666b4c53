using Cake.Core;

namespace QcowKit.Build;

/// <summary>
/// Cake's console without colour where colour does not belong. Cake decides on ANSI escape codes from the
/// environment (TERM, CI variables), not from where the output goes, so a log redirected to a file or a pipe
/// (a CI log, <c>dotnet run build.cs &gt; build.log</c>) got <c>ESC[37;1m</c> around every argument. Colour is used
/// only when both stdout and stderr are terminals and NO_COLOR (https://no-color.org) is unset or empty; otherwise
/// the text goes through unchanged and colour changes are ignored.
/// </summary>
public sealed class PlainConsole : IConsole
{
    private readonly IConsole _inner;
    private readonly bool _color;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="color"/> false drops every colour.</summary>
    public PlainConsole(IConsole inner, bool color)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _color = color;
    }

    /// <summary>Whether a console whose streams are (or are not) redirected, in this environment, may use colour.</summary>
    public static bool ColorAllowed(bool outputRedirected, bool errorRedirected, string? noColor) =>
        !outputRedirected && !errorRedirected && string.IsNullOrEmpty(noColor);

    /// <summary><see cref="ColorAllowed(bool, bool, string?)"/> for this process.</summary>
    public static bool ColorAllowedHere() =>
        ColorAllowed(Console.IsOutputRedirected, Console.IsErrorRedirected, Environment.GetEnvironmentVariable("NO_COLOR"));

    /// <inheritdoc />
    public ConsoleColor ForegroundColor
    {
        get => _inner.ForegroundColor;
        set
        {
            if (_color) _inner.ForegroundColor = value;
        }
    }

    /// <inheritdoc />
    public ConsoleColor BackgroundColor
    {
        get => _inner.BackgroundColor;
        set
        {
            if (_color) _inner.BackgroundColor = value;
        }
    }

    /// <inheritdoc />
    public bool SupportAnsiEscapeCodes => _color && _inner.SupportAnsiEscapeCodes;

    /// <inheritdoc />
    public void Write(string format, params object[] arg) => _inner.Write(format, arg);

    /// <inheritdoc />
    public void Write(string value) => _inner.Write(value);

    /// <inheritdoc />
    public void WriteLine(string format, params object[] arg) => _inner.WriteLine(format, arg);

    /// <inheritdoc />
    public void WriteLine(string value) => _inner.WriteLine(value);

    /// <inheritdoc />
    public void WriteError(string format, params object[] arg) => _inner.WriteError(format, arg);

    /// <inheritdoc />
    public void WriteError(string value) => _inner.WriteError(value);

    /// <inheritdoc />
    public void WriteErrorLine(string format, params object[] arg) => _inner.WriteErrorLine(format, arg);

    /// <inheritdoc />
    public void WriteErrorLine(string value) => _inner.WriteErrorLine(value);

    /// <inheritdoc />
    public void ResetColor()
    {
        if (_color) _inner.ResetColor();
    }
}
