namespace QcowKit;

/// <summary>
/// Base of every failure QcowKit raises on purpose; <see cref="Kind"/> says which kind it is. Derives
/// from <see cref="IOException"/> because every QcowKit operation is about a file and callers already
/// treat an <see cref="IOException"/> as "this file could not be used"; an exception type has one base,
/// so the kind, not the base, tells a bad argument from a bad image. New failures (e.g. a refused image
/// lock) derive from this class and pick a kind.
/// </summary>
public abstract class QcowException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    protected QcowException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    protected QcowException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    /// <summary>Which kind of failure this is.</summary>
    public abstract QcowErrorKind Kind { get; }

    /// <summary>
    /// The kind of any exception an operation on an image can raise, or null for one that is a bug
    /// (surfaces let those through). The one list of "a problem with the image or the request" that
    /// every surface uses.
    /// </summary>
    public static QcowErrorKind? KindOf(Exception exception) => exception switch
    {
        QcowException qcow => qcow.Kind,
        IOException or UnauthorizedAccessException => QcowErrorKind.Io,
        // Raised by decompressors and for format features QcowKit does not implement.
        InvalidDataException or NotSupportedException => QcowErrorKind.BadImage,
        // Raised for values that do not fit a structure (names too long, sizes out of range).
        ArgumentException or InvalidOperationException => QcowErrorKind.BadArgument,
        _ => null,
    };
}
