namespace QcowKit;

/// <summary>
/// A deliberate second line of an error message. Some qemu-img errors are two lines (a lock refusal
/// followed by <c>Is another process using the image [x]?</c>, a missing backing file followed by
/// <c>Could not open backing image.</c>); surfaces print every other message as one line, so the
/// second line travels beside the message instead of inside it.
/// </summary>
public static class ErrorLines
{
    private const string SecondLineKey = "QcowKit.SecondLine";

    /// <summary>Attaches <paramref name="line"/> as the line printed after <paramref name="exception"/>'s message.</summary>
    /// <returns><paramref name="exception"/>, for <c>throw new X(...).WithSecondLine(...)</c>.</returns>
    public static TException WithSecondLine<TException>(this TException exception, string line) where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentException.ThrowIfNullOrWhiteSpace(line);
        exception.Data[SecondLineKey] = line;
        return exception;
    }

    /// <summary>The deliberate second line of <paramref name="exception"/> or of the first inner exception that has one; null when none has.</summary>
    public static string? SecondLine(this Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current.Data[SecondLineKey] is string line)
            {
                return line;
            }
        }
        return null;
    }
}
