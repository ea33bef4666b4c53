namespace QcowKit;

/// <summary>
/// A bad argument: a malformed size or option list, or an option or combination that qemu-img would
/// refuse. The message is qemu-img's own wording where qemu has one, so that scripts and users see the
/// same refusal from both tools.
/// </summary>
public sealed class QcowOptionsException : QcowException
{
    /// <summary>Creates the exception with qemu's message.</summary>
    public QcowOptionsException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with qemu's message and a cause.</summary>
    public QcowOptionsException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public QcowOptionsException() : base("Invalid create options")
    {
    }

    /// <inheritdoc />
    public override QcowErrorKind Kind => QcowErrorKind.BadArgument;
}
