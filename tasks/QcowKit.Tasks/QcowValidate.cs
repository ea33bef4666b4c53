using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QcowKit.Check;

namespace QcowKit.Tasks;

/// <summary>
/// Checks qcow2 images as <c>qemu-img check</c> does (same verdicts and counts) and judges them with the
/// engine's validation policy (<see cref="QcowValidationPolicy"/>, same rule names as the CLI and Cake):
/// every finding is logged with its <c>QCOW0xxx</c> code and the image as the file, as an error when it
/// blocks, a warning when it warns, a message otherwise.
/// </summary>
/// <example>
/// <code>&lt;QcowValidate Image="@(QcowImage)" LeaksAsErrors="true" AllowedFindings="QCOW0800" MaxVirtualSize="64G" NoBackingFile="true" /&gt;</code>
/// </example>
public sealed class QcowValidate : QcowTask
{
    /// <summary>The images to check. Metadata named like any rule parameter overrides it per image (lists add up).</summary>
    [Required]
    public ITaskItem[] Image { get; set; } = [];

    /// <summary>A JSON policy file (as <c>qcowkit check --policy</c> reads); the parameters below apply on top of it.</summary>
    public ITaskItem? Policy { get; set; }

    /// <summary>Also decompress every compressed cluster and check header semantics qemu skips.</summary>
    public bool Deep { get; set; }

    /// <summary>Leaked clusters block (errors) instead of warning.</summary>
    public bool LeaksAsErrors { get; set; }

    /// <summary>Accept an image whose dirty bit is set (lazy refcounts, not closed cleanly) instead of failing on it.</summary>
    public bool AllowDirty { get; set; }

    /// <summary>Finding codes (<c>QCOW0xxx</c>) to report as messages only.</summary>
    public string[] AllowedFindings { get; set; } = [];

    /// <summary>Treat the images as hostile: report backing and data file references, encryption, unknown features; open nothing but the image.</summary>
    public bool Untrusted { get; set; }

    /// <summary>
    /// qemu-img check's <c>-U</c>: check the images even while another process (a running VM, qemu-io, qemu-nbd) writes
    /// them. Without it such an image fails with QCOW1008 and qemu's <c>Failed to get shared "write" lock</c>.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>With <see cref="Untrusted"/>: folders that backing and data files may live in.</summary>
    public string[] AllowedDirectories { get; set; } = [];

    /// <summary>Largest accepted virtual size (qemu size, e.g. <c>64G</c>); default no limit, 2 TiB with <see cref="Untrusted"/>.</summary>
    public string? MaxVirtualSize { get; set; }

    /// <summary>Largest accepted image file size (qemu size).</summary>
    public string? MaxFileSize { get; set; }

    /// <summary>Required compat level: <c>0.10</c> or <c>1.1</c>.</summary>
    public string? RequiredCompat { get; set; }

    /// <summary>Required compression type: <c>zlib</c> or <c>zstd</c>.</summary>
    public string? RequiredCompressionType { get; set; }

    /// <summary>Required cluster size (qemu size, e.g. <c>64k</c>).</summary>
    public string? RequiredClusterSize { get; set; }

    /// <summary>The image must not name a backing file.</summary>
    public bool NoBackingFile { get; set; }

    /// <summary>The image must not use an external data file.</summary>
    public bool NoExternalDataFile { get; set; }

    /// <summary>The image must have no internal snapshots.</summary>
    public bool NoSnapshots { get; set; }

    /// <summary>The image must have no persistent bitmaps.</summary>
    public bool NoBitmaps { get; set; }

    /// <summary>The image must not be encrypted.</summary>
    public bool NoEncryption { get; set; }

    /// <summary>The image must have no unknown feature bits or header extensions.</summary>
    public bool NoUnknownFeatures { get; set; }

    /// <summary>
    /// One item per checked image with qemu-img check's verdict as metadata: <c>ExitCode</c>,
    /// <c>Corruptions</c>, <c>Leaks</c>, <c>CheckErrors</c>, <c>AllocatedClusters</c>, <c>TotalClusters</c>,
    /// <c>FragmentedClusters</c>, <c>CompressedClusters</c>, <c>ImageEndOffset</c>, and <c>Passed</c> (the policy's verdict).
    /// </summary>
    [Output]
    public ITaskItem[] Results { get; private set; } = [];

    /// <summary>
    /// Where to write the self-contained HTML report (verdict, counts, findings, map of the image file), whatever the
    /// verdict, so CI keeps it as an artifact; for one image. With several, each image's <c>ReportFile</c> metadata names its own.
    /// </summary>
    public string? ReportFile { get; set; }

    /// <summary>Progress is logged at most this often (in steps of the whole), so big images do not flood the log.</summary>
    private const double ProgressStep = 0.1;

    /// <inheritdoc />
    protected override void Run()
    {
        if (!string.IsNullOrWhiteSpace(ReportFile) && Image.Length > 1)
        {
            Log.LogErrorWithCodeFromResources("ValidateReportNeedsOneImage", Image.Length);
            return;
        }
        var results = new List<ITaskItem>(Image.Length);
        foreach (var item in Image)
        {
            CancellationToken.ThrowIfCancellationRequested();
            var result = ValidateOne(item);
            if (result is not null) results.Add(result);
        }
        Results = [.. results];
    }

    /// <summary>The parameters by rule name, as text; only those that were set (a false boolean is not a rule).</summary>
    private IEnumerable<(string Rule, string Value)> Parameters()
    {
        foreach (var (rule, value) in new (string, bool)[]
                 {
                     (nameof(LeaksAsErrors), LeaksAsErrors), (nameof(AllowDirty), AllowDirty), (nameof(Deep), Deep), (nameof(Untrusted), Untrusted),
                     (nameof(NoBackingFile), NoBackingFile), (nameof(NoExternalDataFile), NoExternalDataFile), (nameof(NoSnapshots), NoSnapshots),
                     (nameof(NoBitmaps), NoBitmaps), (nameof(NoEncryption), NoEncryption), (nameof(NoUnknownFeatures), NoUnknownFeatures),
                 })
        {
            if (value) yield return (rule, "true");
        }
        foreach (var (rule, value) in new (string, string?)[]
                 {
                     (nameof(MaxVirtualSize), MaxVirtualSize), (nameof(MaxFileSize), MaxFileSize), (nameof(RequiredCompat), RequiredCompat),
                     (nameof(RequiredCompressionType), RequiredCompressionType), (nameof(RequiredClusterSize), RequiredClusterSize),
                 })
        {
            if (!string.IsNullOrWhiteSpace(value)) yield return (rule, value);
        }
        foreach (var code in AllowedFindings.Where(c => !string.IsNullOrWhiteSpace(c))) yield return (nameof(AllowedFindings), code);
        foreach (var folder in AllowedDirectories.Where(d => !string.IsNullOrWhiteSpace(d))) yield return (nameof(AllowedDirectories), Path.GetFullPath(folder));
    }

    /// <summary>The policy file, the parameters, then the item's metadata of the same names; null (logged) when a value is refused.</summary>
    private QcowValidationPolicy? PolicyFor(ITaskItem item, string path)
    {
        var policy = new QcowValidationPolicy { ForceShare = ForceShare };
        try
        {
            if (Policy is not null) policy.Apply(Policy.GetMetadata("FullPath"));
            foreach (var (rule, value) in Parameters()) policy.Set(rule, value);
            foreach (var rule in QcowValidationPolicy.RuleNames)
            {
                var metadata = item.GetMetadata(rule);
                if (string.IsNullOrWhiteSpace(metadata)) continue;
                policy.Set(rule, rule == nameof(AllowedDirectories) ? string.Join(';', metadata.Split(';').Select(d => Path.GetFullPath(d.Trim()))) : metadata);
            }
        }
        catch (Exception exception) when (QcowException.KindOf(exception) is QcowErrorKind.BadArgument or QcowErrorKind.Io)
        {
            LogErrorFor(path, "InvalidPolicy", path, exception.Message);
            return null;
        }
        return policy;
    }

    private TaskItem? ValidateOne(ITaskItem item)
    {
        var path = item.GetMetadata("FullPath");
        var policy = PolicyFor(item, path);
        if (policy is null) return null;
        if (!ImageFile.Exists(this, path)) return null;

        var reportName = item.GetMetadata("ReportFile") is { Length: > 0 } own ? own : ReportFile;
        var reportPath = string.IsNullOrWhiteSpace(reportName) ? null : Path.GetFullPath(reportName);
        QcowValidationResult validation;
        try
        {
            validation = QcowValidator.Validate(path, policy, reportPath is not null, new SynchronousProgress<QcowCheckProgress>(
                value => Log.LogMessageFromResources(MessageImportance.Low, "ValidateProgress", path, value.Fraction, value.TotalTables), ProgressStep), CancellationToken);
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            ImageFile.LogOpenFailure(this, path, exception);
            return null;
        }
        for (var i = 0; i < validation.Findings.Count; i++)
        {
            LogFinding(path, validation.Findings[i], validation.Outcomes[i]);
        }
        var result = validation.Check;
        if (reportPath is not null) WriteReport(path, reportPath, validation);
        Log.LogMessageFromResources(MessageImportance.Normal, "ValidateSummary", path, result.ExitCode, result.Corruptions, result.Leaks,
            result.CheckErrors, result.AllocatedClusters, result.TotalClusters, result.FragmentedClusters, result.CompressedClusters);

        var output = new TaskItem(item.ItemSpec);
        output.SetMetadata("Passed", validation.Passed ? "true" : "false");
        output.SetMetadata("ExitCode", Invariant(result.ExitCode));
        output.SetMetadata("Corruptions", Invariant(result.Corruptions));
        output.SetMetadata("Leaks", Invariant(result.Leaks));
        output.SetMetadata("CheckErrors", Invariant(result.CheckErrors));
        output.SetMetadata("AllocatedClusters", Invariant(result.AllocatedClusters));
        output.SetMetadata("TotalClusters", Invariant(result.TotalClusters));
        output.SetMetadata("FragmentedClusters", Invariant(result.FragmentedClusters));
        output.SetMetadata("CompressedClusters", Invariant(result.CompressedClusters));
        output.SetMetadata("ImageEndOffset", Invariant(result.ImageEndOffset));
        return output;
    }

    /// <summary>Writes the report all-or-nothing; a report that cannot be written is an error, as the build asked for it.</summary>
    private void WriteReport(string path, string reportPath, QcowValidationResult validation)
    {
        try
        {
            QcowCheckReport.WriteFile(reportPath, validation);
            Log.LogMessageFromResources(MessageImportance.Normal, "ValidateReportWritten", path, reportPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or QcowException)
        {
            LogErrorFor(reportPath, "ValidateReportFailed", path, reportPath, exception.Message);
        }
    }

    /// <summary>Logs a finding by the engine's outcome, with the engine's text; MSBuild shows code and severity itself.</summary>
    private void LogFinding(string path, QcowFinding finding, QcowFindingOutcome outcome)
    {
        var keyword = "QcowKit." + finding.Code;
        var text = finding.Describe();
        switch (outcome)
        {
            case QcowFindingOutcome.Blocks:
                Log.LogError(null, finding.Code, keyword, path, 0, 0, 0, 0, text);
                break;
            case QcowFindingOutcome.Warns:
                Log.LogWarning(null, finding.Code, keyword, path, 0, 0, 0, 0, text);
                break;
            default:
                Log.LogMessage(null, finding.Code, keyword, path, 0, 0, 0, 0, MessageImportance.Normal, text);
                break;
        }
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
