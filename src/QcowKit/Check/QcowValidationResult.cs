using System.Globalization;
using System.Text;

namespace QcowKit.Check;

/// <summary>The verdict of <see cref="QcowValidator"/>: the check, the rule findings, and what blocks.</summary>
public sealed class QcowValidationResult
{
    /// <summary>Findings listed in <see cref="Describe"/>; the rest are counted.</summary>
    private const int FindingsInDescription = 20;

    internal QcowValidationResult(QcowCheckResult check, IReadOnlyList<QcowFinding> findings, IReadOnlyList<QcowFindingOutcome> outcomes)
    {
        Check = check;
        Findings = findings;
        Outcomes = outcomes;
        Blocking = [.. findings.Where((_, i) => outcomes[i] == QcowFindingOutcome.Blocks)];
    }

    /// <summary>The check's counts and findings, as <c>qemu-img check</c> reports them.</summary>
    public QcowCheckResult Check { get; }

    /// <summary>The check's findings followed by the policy's (rule violations, QCOW0103).</summary>
    public IReadOnlyList<QcowFinding> Findings { get; }

    /// <summary>What each of <see cref="Findings"/> means under the policy (same order).</summary>
    public IReadOnlyList<QcowFindingOutcome> Outcomes { get; }

    /// <summary>The findings that fail the validation.</summary>
    public IReadOnlyList<QcowFinding> Blocking { get; }

    /// <summary>True when the image is acceptable under the policy.</summary>
    public bool Passed => Blocking.Count == 0;

    /// <summary>The exit code of <c>qcowkit check</c> with a policy: 0 passed, 1 the check could not complete, 2 blocked.</summary>
    public int ExitCode => !Check.Completed || Check.CheckErrors > 0 ? 1 : Passed ? 0 : 2;

    /// <summary>One line of counts: <c>N corruptions, N leaks, N check errors, N findings</c>.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Check.Corruptions} corruptions, {Check.Leaks} leaks, {Check.CheckErrors} check errors, {Findings.Count} findings");

    /// <summary>
    /// The failure text every surface shows (Cake's exception, the CLI's last line, MSBuild's summary):
    /// the image, the summary and the first blocking findings; or that it passed.
    /// </summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (Passed)
        {
            text.Append(CultureInfo.InvariantCulture, $"qcow2 image {Check.Filename} passed validation ({Summary})");
            return text.ToString();
        }
        text.Append(CultureInfo.InvariantCulture, $"qcow2 image {Check.Filename} failed validation ({Summary}; {Blocking.Count} blocking):");
        foreach (var finding in Blocking.Take(FindingsInDescription))
        {
            text.Append("\n  ").Append(finding);
        }
        if (Blocking.Count > FindingsInDescription)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  ... and {Blocking.Count - FindingsInDescription} more");
        }
        return text.ToString();
    }
}
