namespace QcowKit;

/// <summary>A valid request that a policy refuses: a validation policy's blocking findings, an untrusted-image rule.</summary>
public class QcowPolicyException : QcowException
{
    /// <summary>Creates the exception with a message.</summary>
    public QcowPolicyException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public QcowPolicyException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public QcowPolicyException() : base("refused by policy")
    {
    }

    /// <inheritdoc />
    public override QcowErrorKind Kind => QcowErrorKind.RefusedByPolicy;
}
