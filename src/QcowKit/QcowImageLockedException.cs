namespace QcowKit;

/// <summary>
/// Another process holds an image in a way that forbids what this operation needs, detected through qemu's
/// image locks (the same OFD byte locks qemu-img, qemu-io, qemu-nbd and QEMU take). Nothing was written.
/// <see cref="Exception.Message"/> is qemu's two lines: <see cref="Reason"/>, then <see cref="Hint"/>.
/// </summary>
public sealed class QcowImageLockedException : QcowException
{
    /// <inheritdoc />
    public override QcowErrorKind Kind => QcowErrorKind.RefusedByPolicy;

    /// <summary>Creates the refusal for <paramref name="fileName"/>.</summary>
    /// <param name="fileName">The file as the user named it (for a backing file: as the overlay names it).</param>
    /// <param name="reason">qemu's first line, e.g. <c>Failed to get "write" lock</c>.</param>
    public QcowImageLockedException(string fileName, string reason)
        : base($"{reason}\n{HintFor(fileName)}")
    {
        FileName = fileName;
        Reason = reason;
    }

    /// <summary>Creates a refusal without a file name (serialization and analyzers want this constructor).</summary>
    public QcowImageLockedException()
        : this(string.Empty, "Failed to get lock")
    {
    }

    /// <summary>Creates a refusal with a message only.</summary>
    public QcowImageLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
        FileName = string.Empty;
        Reason = message;
    }

    /// <summary>The locked file as the user named it.</summary>
    public string FileName { get; }

    /// <summary>qemu's first line: <c>Failed to get "write" lock</c>, <c>Failed to get shared "write" lock</c>, etc.</summary>
    public string Reason { get; }

    /// <summary>qemu's second line: <c>Is another process using the image [NAME]?</c>.</summary>
    public string Hint => HintFor(FileName);

    private static string HintFor(string fileName) => $"Is another process using the image [{fileName}]?";
}
