using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QcowKit.Check;

namespace QcowKit.Tasks;

/// <summary>
/// Checks qcow2 images as <c>qemu-img check</c> does (same verdicts and counts) and logs every finding
/// with its <c>QCOW0xxx</c> code and the image as the file: corruptions are errors, leaks warnings.
/// </summary>
/// <example>
/// <code>&lt;QcowValidate Image="@(QcowImage)" LeaksAsErrors="true" AllowedFindings="QCOW0800" /&gt;</code>
/// </example>
public sealed class QcowValidate : QcowTask
{
    /// <summary>The images to check. Metadata named like the boolean parameters and <c>AllowedFindings</c> override them per image.</summary>
    [Required]
    public ITaskItem[] Image { get; set; } = [];

    /// <summary>Also decompress every compressed cluster and check header semantics qemu skips.</summary>
    public bool Deep { get; set; }

    /// <summary>Log leaked clusters as errors instead of warnings.</summary>
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

    /// <summary>
    /// One item per checked image with qemu-img check's verdict as metadata: <c>ExitCode</c>,
    /// <c>Corruptions</c>, <c>Leaks</c>, <c>CheckErrors</c>, <c>AllocatedClusters</c>, <c>TotalClusters</c>,
    /// <c>FragmentedClusters</c>, <c>CompressedClusters</c>, <c>ImageEndOffset</c>.
    /// </summary>
    [Output]
    public ITaskItem[] Results { get; private set; } = [];

    /// <inheritdoc />
    protected override void Run()
    {
        var results = new List<ITaskItem>(Image.Length);
        foreach (var item in Image)
        {
            CancellationToken.ThrowIfCancellationRequested();
            var result = ValidateOne(item);
            if (result is not null) results.Add(result);
        }
        Results = [.. results];
    }

    private TaskItem? ValidateOne(ITaskItem item)
    {
        var path = item.GetMetadata("FullPath");
        var deep = BooleanOption(item, nameof(Deep), Deep, path);
        var leaksAsErrors = BooleanOption(item, nameof(LeaksAsErrors), LeaksAsErrors, path);
        var allowDirty = BooleanOption(item, nameof(AllowDirty), AllowDirty, path);
        var untrusted = BooleanOption(item, nameof(Untrusted), Untrusted, path);
        if (deep is null || leaksAsErrors is null || allowDirty is null || untrusted is null) return null;
        var allowed = MetadataOptions.List(item, nameof(AllowedFindings), AllowedFindings);

        if (!ImageFile.Exists(this, path)) return null;

        var options = new QcowCheckOptions
        {
            Deep = deep.Value,
            Untrusted = untrusted.Value,
            ForceShare = ForceShare,
            AllowedDirectories = [.. AllowedDirectories.Select(Path.GetFullPath)],
        };
        QcowCheckResult result;
        try
        {
            result = QcowChecker.Check(path, options);
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            ImageFile.LogOpenFailure(this, path, exception);
            return null;
        }

        foreach (var finding in result.Findings)
        {
            LogFinding(path, finding, allowed, leaksAsErrors.Value, allowDirty.Value);
        }
        if (!result.Completed && result.Findings.Count == 0)
        {
            LogErrorFor(path, "CheckIncomplete", path, result.QemuExitCode);
        }
        Log.LogMessageFromResources(MessageImportance.Normal, "ValidateSummary", path, result.ExitCode, result.Corruptions, result.Leaks,
            result.CheckErrors, result.AllocatedClusters, result.TotalClusters, result.FragmentedClusters, result.CompressedClusters);

        var output = new TaskItem(item.ItemSpec);
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

    private void LogFinding(string path, QcowFinding finding, HashSet<string> allowed, bool leaksAsErrors, bool allowDirty)
    {
        var text = finding.Offset >= 0
            ? FormatResource("FindingAtOffset", finding.Message, finding.Offset)
            : finding.Message;
        var keyword = "QcowKit." + finding.Code;
        var dirty = finding.Code == QcowFindingCodes.Dirty;
        if (allowed.Contains(finding.Code) || (dirty && allowDirty) || finding.Severity == QcowFindingSeverity.Info)
        {
            Log.LogMessage(null, finding.Code, keyword, path, 0, 0, 0, 0, MessageImportance.Normal, text);
            return;
        }
        var isError = finding.Severity == QcowFindingSeverity.Error
            || (finding.Code == QcowFindingCodes.Leak && leaksAsErrors)
            || dirty;
        if (isError)
        {
            Log.LogError(null, finding.Code, keyword, path, 0, 0, 0, 0, text);
        }
        else
        {
            Log.LogWarning(null, finding.Code, keyword, path, 0, 0, 0, 0, text);
        }
    }

    private bool? BooleanOption(ITaskItem item, string name, bool fallback, string path)
    {
        var value = MetadataOptions.Boolean(item, name, fallback);
        if (value is null)
        {
            LogErrorFor(path, "InvalidParameter", name, item.GetMetadata(name), FormatResource("ExpectedBoolean"));
        }
        return value;
    }

    private string FormatResource(string name, params object[] arguments) => Log.FormatResourceString(name, arguments);

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
