namespace QcowKit;

/// <summary>
/// A qcow2 image breaks a rule of the format. Names the field, its byte offset in the file and the
/// rule, so that a user can find the fault with a hex editor and a tool can report it precisely.
/// The "bad image" kind of <see cref="QcowException"/> (so an <see cref="IOException"/>:
/// <see cref="InvalidDataException"/>, which DESIGN.md named, is sealed).
/// </summary>
public class QcowFormatException : QcowException
{
    /// <summary>Creates the exception for one broken rule.</summary>
    /// <param name="field">The field as the qcow2 specification names it, e.g. <c>cluster_bits</c>.</param>
    /// <param name="offset">Byte offset of the field in the image file, or -1 when it has none.</param>
    /// <param name="rule">What the field must satisfy, phrased as a sentence.</param>
    public QcowFormatException(string field, long offset, string rule)
        : base(offset >= 0 ? $"{field} at offset {offset} (0x{offset:x}): {rule}" : $"{field}: {rule}")
    {
        Field = field;
        Offset = offset;
        Rule = rule;
    }

    /// <summary>Creates the exception with a cause.</summary>
    public QcowFormatException(string field, long offset, string rule, Exception innerException)
        : base(offset >= 0 ? $"{field} at offset {offset} (0x{offset:x}): {rule}" : $"{field}: {rule}", innerException)
    {
        Field = field;
        Offset = offset;
        Rule = rule;
    }

    /// <summary>Creates the exception with a message only (required by the analyzers' exception pattern).</summary>
    public QcowFormatException() : this("image", -1, "the image is not valid qcow2")
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public QcowFormatException(string message) : base(message)
    {
        Field = "image";
        Offset = -1;
        Rule = message;
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public QcowFormatException(string message, Exception innerException) : base(message, innerException)
    {
        Field = "image";
        Offset = -1;
        Rule = message;
    }

    /// <summary>The field as the qcow2 specification names it.</summary>
    public string Field { get; }

    /// <summary>Byte offset of the field in the file, or -1.</summary>
    public long Offset { get; }

    /// <summary>The rule the field broke.</summary>
    public string Rule { get; }

    /// <inheritdoc />
    public override QcowErrorKind Kind => QcowErrorKind.BadImage;
}
