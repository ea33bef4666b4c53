using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Check;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// Checks a qcow2 image the way <c>qemu-img check</c> does (refcounts, L1/L2 tables, snapshots,
    /// bitmaps) and fails the build when it is not acceptable under <paramref name="settings"/>.
    /// The image is opened read-only and never written.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The qcow2 image.</param>
    /// <param name="settings">What to accept; null for the defaults (no errors, not dirty; leaks only warn).</param>
    /// <returns>The check's counts (same names as <c>qemu-img check --output=json</c>) and its findings.</returns>
    /// <exception cref="CakeException">The image is not acceptable: the message lists the findings with their codes and offsets; the inner <see cref="QcowValidationException"/> has the whole result.</exception>
    /// <example>
    /// <code>
    /// var result = QcowValidate("./out/disk.qcow2", new QcowValidateSettings()
    ///     .WithLeaksAsErrors()
    ///     .WithDeep());
    /// Information("{0} of {1} clusters allocated", result.AllocatedClusters, result.TotalClusters);
    ///
    /// // An image from outside: open nothing else, refuse backing files and huge disks.
    /// QcowValidate("./upload.qcow2", new QcowValidateSettings().WithUntrusted().WithMaxVirtualSize(64L &lt;&lt; 30));
    ///
    /// // Expecting a broken image: the result travels with the exception.
    /// try { QcowValidate("./broken.qcow2"); }
    /// catch (CakeException ex) when (ex.InnerException is QcowValidationException invalid)
    /// {
    ///     Information("{0} corruptions", invalid.Result.Corruptions);
    /// }
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static QcowCheckResult QcowValidate(this ICakeContext context, FilePath image, QcowValidateSettings? settings = null)
    {
        var path = Resolve(context, image, nameof(image));
        settings ??= new QcowValidateSettings();
        QcowValidationPolicy policy;
        try
        {
            policy = settings.ToPolicy(context.Environment);
        }
        catch (QcowException ex) when (ex.Kind == QcowErrorKind.BadArgument)
        {
            throw new CakeException($"QcowValidate {path}: {ex.Message}", ex);
        }
        var reportPath = settings.ReportFile?.MakeAbsolute(context.Environment).FullPath;
        var result = QcowValidator.Validate(path, policy, collectHostMap: reportPath is not null, null, CancellationToken.None);
        LogFindings(context, path, result);
        if (reportPath is not null)
        {
            // Before the verdict throws: the report of a failing image is the one a build wants to keep.
            QcowCheckReport.WriteFile(reportPath, result);
            context.Log.Information("QcowValidate {0}: report written to {1}", path, reportPath);
        }
        if (!result.Passed)
        {
            var message = result.Describe();
            throw new CakeException(message, new QcowValidationException(message, result));
        }
        context.Log.Information("QcowValidate {0}: acceptable ({1}; {2}/{3} clusters allocated)",
            path, result.Summary, result.Check.AllocatedClusters, result.Check.TotalClusters);
        return result.Check;
    }

    /// <summary>Findings logged at normal verbosity; a badly broken image has thousands, the rest go to verbose.</summary>
    private const int FindingsLoggedAtNormal = 10;

    /// <summary>
    /// Blocking findings are logged at verbose verbosity only, because the exception lists them; the
    /// others (allowed leaks, dirty bit, notes) are warnings a user should see.
    /// </summary>
    private static void LogFindings(ICakeContext context, string path, QcowValidationResult result)
    {
        var shown = 0;
        for (var i = 0; i < result.Findings.Count; i++)
        {
            var outcome = result.Outcomes[i];
            var level = outcome switch
            {
                QcowFindingOutcome.Blocks => LogLevel.Error,
                QcowFindingOutcome.Warns => LogLevel.Warning,
                _ => LogLevel.Information,
            };
            var verbosity = outcome != QcowFindingOutcome.Blocks && shown++ < FindingsLoggedAtNormal ? Verbosity.Normal : Verbosity.Verbose;
            context.Log.Write(verbosity, level, "{0}: {1}", path, result.Findings[i]);
        }
        if (shown > FindingsLoggedAtNormal)
        {
            context.Log.Information("{0}: {1} more findings (run with verbose logging to see them)", path, shown - FindingsLoggedAtNormal);
        }
    }
}
