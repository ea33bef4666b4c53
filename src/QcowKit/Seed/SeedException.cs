namespace QcowKit.Seed;

/// <summary>
/// Seeding cannot be done as asked: the content does not fit, a name cannot be represented on the
/// target file system, or the target exists and overwriting was not requested. Raised before
/// anything is written to the target whenever the problem can be known in advance.
/// </summary>
public class SeedException : QcowException
{
    /// <summary>Creates the exception with a message.</summary>
    public SeedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SeedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message (required by the analyzers' exception pattern).</summary>
    public SeedException() : base("seeding failed")
    {
    }

    /// <inheritdoc />
    public override QcowErrorKind Kind => QcowErrorKind.BadArgument;
}
