using System.Diagnostics.CodeAnalysis;
using Cake.Core;
using QcowKit;
using QcowKit.Check;

namespace Cake.QcowKit;

/// <summary>
/// The <see cref="Exception.InnerException"/> of the <see cref="CakeException"/> that
/// <see cref="QcowAliases.QcowValidate(ICakeContext, Cake.Core.IO.FilePath, QcowValidateSettings?)"/>
/// throws when an image is not acceptable (CakeException is sealed): it carries the check's result
/// for scripts that expect a broken image.
/// </summary>
[SuppressMessage("Design", "CA1032:Implement standard exception constructors", Justification = "Meaningless without a check result; only QcowValidate creates it.")]
public sealed class QcowValidationException : QcowPolicyException
{
    /// <summary>Creates the exception for a validation that failed.</summary>
    public QcowValidationException(string message, QcowValidationResult validation)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(validation);
        Validation = validation;
    }

    /// <summary>The engine's verdict: the check, every finding with its outcome under the policy.</summary>
    public QcowValidationResult Validation { get; }

    /// <summary>The full check result: counts and the check's findings.</summary>
    public QcowCheckResult Result => Validation.Check;

    /// <summary>The findings that made the image unacceptable under the settings (QCOW0103 when the check itself could not finish).</summary>
    public IReadOnlyList<QcowFinding> BlockingFindings => Validation.Blocking;
}
