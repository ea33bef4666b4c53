using System.Diagnostics.CodeAnalysis;
using Cake.Core;
using QcowKit.Check;

namespace Cake.QcowKit;

/// <summary>
/// The <see cref="Exception.InnerException"/> of the <see cref="CakeException"/> that
/// <see cref="QcowAliases.QcowValidate(ICakeContext, Cake.Core.IO.FilePath, QcowValidateSettings?)"/>
/// throws when an image is not acceptable (CakeException is sealed): it carries the check's result
/// for scripts that expect a broken image.
/// </summary>
[SuppressMessage("Design", "CA1032:Implement standard exception constructors", Justification = "Meaningless without a check result; only QcowValidate creates it.")]
public sealed class QcowValidationException : Exception
{
    /// <summary>Creates the exception for a check result and the findings that made it fail.</summary>
    public QcowValidationException(string message, QcowCheckResult result, IReadOnlyList<QcowFinding> blockingFindings)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(blockingFindings);
        Result = result;
        BlockingFindings = blockingFindings;
    }

    /// <summary>The full check result: counts and every finding.</summary>
    public QcowCheckResult Result { get; }

    /// <summary>The findings that made the image unacceptable under the settings (empty when the check itself could not finish).</summary>
    public IReadOnlyList<QcowFinding> BlockingFindings { get; }
}
