namespace QcowKit.Compare;

/// <summary>A comparison could not finish: one image's allocation or data could not be read.</summary>
public sealed class QcowCompareException : QcowException
{
    /// <summary>Creates the exception for <paramref name="fileName"/> at guest <paramref name="offset"/>.</summary>
    public QcowCompareException(string fileName, long offset, QcowCompareFailure failure, Exception innerException)
        : base(Describe(fileName, offset, failure, innerException), innerException)
    {
        FileName = fileName;
        Offset = offset;
        Failure = failure;
    }

    /// <summary>Creates an empty exception (serialization pattern).</summary>
    public QcowCompareException() : base("the comparison could not finish")
    {
        FileName = string.Empty;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public QcowCompareException(string message)
        : base(message)
    {
        FileName = string.Empty;
    }

    /// <summary>Creates an exception with a message and cause.</summary>
    public QcowCompareException(string message, Exception innerException)
        : base(message, innerException)
    {
        FileName = string.Empty;
    }

    /// <summary>The image that failed, as it was opened.</summary>
    public string FileName { get; }

    /// <summary>The guest offset being examined.</summary>
    public long Offset { get; }

    /// <summary>The cause's kind (a bad image, usually), or <see cref="QcowErrorKind.Io"/>.</summary>
    public override QcowErrorKind Kind => InnerException is { } inner && KindOf(inner) is { } kind ? kind : QcowErrorKind.Io;

    /// <summary>Which step failed.</summary>
    public QcowCompareFailure Failure { get; }

    private static string Describe(string fileName, long offset, QcowCompareFailure failure, Exception inner) => failure switch
    {
        QcowCompareFailure.Read => $"{fileName}: Error while reading offset {offset}: {inner.Message}",
        _ => $"{fileName}: Sector allocation test failed: {inner.Message}",
    };
}
