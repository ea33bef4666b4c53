using System.Globalization;
using System.Text;
using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit.Check;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>Findings listed in the exception message; the log has all of them.</summary>
    private const int FindingsInMessage = 20;

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
        var options = new QcowCheckOptions
        {
            Deep = settings.Deep,
            ForceShare = settings.ForceShare,
            Untrusted = settings.Untrusted,
            AllowedDirectories = [.. settings.AllowedDirectories.Select(d => d.MakeAbsolute(context.Environment).FullPath)],
            MaxVirtualSize = settings.MaxVirtualSize ?? QcowCheckOptions.DefaultMaxVirtualSize,
        };
        var result = QcowChecker.Check(path, options);

        var blocking = result.Findings.Where(f => IsBlocking(f, settings)).ToList();
        LogFindings(context, path, result.Findings, blocking);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{result.Corruptions} corruptions, {result.Leaks} leaks, {result.CheckErrors} check errors, {result.Findings.Count} findings");

        // Counts that no finding explains (or a check that did not finish) fail whatever is allowed.
        var unexplained = !result.Completed
            || ((result.Corruptions > 0 || result.CheckErrors > 0) && !result.Findings.Any(f => f.Severity == QcowFindingSeverity.Error));
        if (blocking.Count > 0 || unexplained)
        {
            var message = DescribeFailure(path, result, blocking, summary);
            throw new CakeException(message, new QcowValidationException(message, result, blocking));
        }
        context.Log.Information("QcowValidate {0}: acceptable ({1}; {2}/{3} clusters allocated)",
            path, summary, result.AllocatedClusters, result.TotalClusters);
        return result;
    }

    /// <summary>Findings logged at normal verbosity; a badly broken image has thousands, the rest go to verbose.</summary>
    private const int FindingsLoggedAtNormal = 10;

    /// <summary>
    /// Blocking findings are logged at verbose verbosity only, because the exception lists them; the
    /// others (allowed leaks, dirty bit, notes) are warnings a user should see.
    /// </summary>
    private static void LogFindings(ICakeContext context, string path, IReadOnlyList<QcowFinding> findings, List<QcowFinding> blocking)
    {
        var shown = 0;
        foreach (var finding in findings)
        {
            var isBlocking = blocking.Contains(finding);
            var level = isBlocking ? LogLevel.Error : finding.Severity == QcowFindingSeverity.Info ? LogLevel.Information : LogLevel.Warning;
            var verbosity = !isBlocking && shown++ < FindingsLoggedAtNormal ? Verbosity.Normal : Verbosity.Verbose;
            context.Log.Write(verbosity, level, "{0}: {1}", path, Describe(finding));
        }
        if (shown > FindingsLoggedAtNormal)
        {
            context.Log.Information("{0}: {1} more findings (run with verbose logging to see them)", path, shown - FindingsLoggedAtNormal);
        }
    }

    private static bool IsBlocking(QcowFinding finding, QcowValidateSettings settings)
    {
        if (settings.AllowedFindings.Contains(finding.Code))
        {
            return false;
        }
        return finding.Code switch
        {
            QcowFindingCodes.Leak => settings.LeaksAsErrors,
            QcowFindingCodes.Dirty => !settings.AllowDirty,
            _ => finding.Severity == QcowFindingSeverity.Error,
        };
    }

    private static string Describe(QcowFinding finding) => finding.Offset >= 0
        ? string.Create(CultureInfo.InvariantCulture, $"{finding.Code} {finding.Severity.ToString().ToUpperInvariant()} at offset 0x{finding.Offset:x}: {finding.Message}")
        : string.Create(CultureInfo.InvariantCulture, $"{finding.Code} {finding.Severity.ToString().ToUpperInvariant()}: {finding.Message}");

    private static string DescribeFailure(string path, QcowCheckResult result, List<QcowFinding> blocking, string summary)
    {
        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"qcow2 image {path} failed validation ({summary}; qemu-img check exit code {result.ExitCode}):");
        var listed = blocking.Count > 0 ? blocking : [.. result.Findings];
        foreach (var finding in listed.Take(FindingsInMessage))
        {
            message.Append("\n  ").Append(Describe(finding));
        }
        if (listed.Count > FindingsInMessage)
        {
            message.Append(CultureInfo.InvariantCulture, $"\n  ... and {listed.Count - FindingsInMessage} more (see the log)");
        }
        return message.ToString();
    }
}
