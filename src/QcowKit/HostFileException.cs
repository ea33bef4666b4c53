namespace QcowKit;

/// <summary>
/// A host file (an image, its backing or data file, an output) could not be opened, created or sized.
/// The message is qemu-img's wording for the same failure, never .NET's text, and <see cref="FileName"/>
/// names the file as the user gave it, so that a surface can print <c>FILE: MESSAGE</c>.
/// </summary>
public class HostFileException : QcowException
{
    /// <inheritdoc />
    public override QcowErrorKind Kind => QcowErrorKind.Io;

    /// <summary>Creates the exception for <paramref name="fileName"/>.</summary>
    /// <param name="fileName">The file as the user named it.</param>
    /// <param name="message">What went wrong, in qemu-img's words.</param>
    /// <param name="innerException">The .NET failure, kept for diagnostics.</param>
    public HostFileException(string fileName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FileName = fileName;
    }

    /// <summary>Creates the exception with a message only (required by the analyzers' exception pattern).</summary>
    public HostFileException() : this("", "the file could not be opened")
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public HostFileException(string message) : this("", message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public HostFileException(string message, Exception innerException) : this("", message, innerException)
    {
    }

    /// <summary>The file as the user named it; empty when unknown.</summary>
    public string FileName { get; }
}
