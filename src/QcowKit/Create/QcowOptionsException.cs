namespace QcowKit;

/// <summary>
/// A create option, or a combination of them, that qemu-img would refuse. The message is qemu-img's own
/// wording, so that scripts and users see the same refusal from both tools.
/// </summary>
public sealed class QcowOptionsException : ArgumentException
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
}
