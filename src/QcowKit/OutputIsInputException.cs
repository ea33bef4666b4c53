namespace QcowKit;

/// <summary>
/// Refusal to write an output that is one of the operation's inputs (the same file under another name, through a
/// symlink or hard link, or as a backing or data file of an input): writing it would destroy what is being read.
/// Nothing has been written when this is thrown.
/// </summary>
public sealed class OutputIsInputException : QcowException
{
    /// <inheritdoc />
    public override QcowErrorKind Kind => QcowErrorKind.RefusedByPolicy;

    /// <summary>Creates the refusal naming both files and how the input is reached.</summary>
    /// <param name="outputDescription">The output as the caller named it, e.g. <c>'out.qcow2'</c> or <c>the data file 'out.data' of 'out.qcow2'</c>.</param>
    /// <param name="inputPath">The input file as the chain names it.</param>
    /// <param name="inputRelation">How the input is reached, e.g. <c>the backing file of 'mid.qcow2'</c>.</param>
    public OutputIsInputException(string outputDescription, string inputPath, string inputRelation)
        : base($"Refusing to write {outputDescription}: it is the same file as '{inputPath}', {inputRelation}")
    {
        OutputDescription = outputDescription;
        InputPath = inputPath;
        InputRelation = inputRelation;
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public OutputIsInputException() : this("the output", "the input", "an input of the operation")
    {
    }

    /// <summary>Creates the exception with a message of the caller's.</summary>
    public OutputIsInputException(string message) : base(message)
    {
        OutputDescription = string.Empty;
        InputPath = string.Empty;
        InputRelation = string.Empty;
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public OutputIsInputException(string message, Exception innerException) : base(message, innerException)
    {
        OutputDescription = string.Empty;
        InputPath = string.Empty;
        InputRelation = string.Empty;
    }

    /// <summary>The output the operation would have written.</summary>
    public string OutputDescription { get; }

    /// <summary>The input file the output is.</summary>
    public string InputPath { get; }

    /// <summary>How the operation reaches the input (the source image, the backing file of ..., the data file of ...).</summary>
    public string InputRelation { get; }
}
