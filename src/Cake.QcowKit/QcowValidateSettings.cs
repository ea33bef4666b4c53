using Cake.Core;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Check;
using QcowKit.Format;

namespace Cake.QcowKit;

/// <summary>
/// What <see cref="QcowAliases.QcowValidate(Cake.Core.ICakeContext, FilePath, QcowValidateSettings?)"/>
/// accepts: the engine's <see cref="QcowValidationPolicy"/> itself (README, "Validation policy"), so a
/// rule has one name, one type and one meaning on every surface; the <c>With</c> methods set it fluently.
/// By default an image passes when the check completes with no error finding and the image is not dirty;
/// leaks are logged as warnings.
/// </summary>
public sealed class QcowValidateSettings
{
    /// <summary>
    /// The rules, typed, exactly as the engine and the other surfaces name them; applied over
    /// <see cref="PolicyFile"/> (what they turn on is on, their limits replace the file's).
    /// </summary>
    public QcowValidationPolicy Policy { get; } = new();

    /// <summary>With <see cref="QcowValidationPolicy.Untrusted"/>: folders a backing or data file may live in, relative to Cake's working directory.</summary>
    public IList<DirectoryPath> AllowedDirectories { get; } = [];

    /// <summary>A JSON policy file (the same file <c>qcowkit check --policy</c> reads), applied first.</summary>
    public FilePath? PolicyFile { get; set; }

    /// <summary>Rules set by name and text (e.g. <c>("MaxVirtualSize", "1.5T")</c>), parsed by the engine, applied last.</summary>
    public IList<KeyValuePair<string, string>> Rules { get; } = [];

    /// <summary>Sets a rule by its name with a text value, parsed by the engine as on every other surface.</summary>
    public QcowValidateSettings WithRule(string rule, string value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(value);
        Rules.Add(new(rule, value));
        return this;
    }

    /// <summary>
    /// Where to write the self-contained HTML report (<see cref="QcowCheckReport"/>: verdict, counts, findings, map of the
    /// image file), relative to Cake's working directory; written whatever the verdict, so CI keeps it as an artifact. Null: none.
    /// </summary>
    public FilePath? ReportFile { get; set; }

    /// <summary>Sets <see cref="ReportFile"/>, as <c>qcowkit check --report</c>.</summary>
    public QcowValidateSettings WithReport(FilePath reportFile)
    {
        ArgumentNullException.ThrowIfNull(reportFile);
        ReportFile = reportFile;
        return this;
    }

    /// <summary>Sets <see cref="PolicyFile"/>.</summary>
    public QcowValidateSettings WithPolicyFile(FilePath policyFile)
    {
        PolicyFile = policyFile;
        return this;
    }

    /// <summary>The engine's policy: the policy file, then <see cref="Policy"/> and <see cref="AllowedDirectories"/>, then <see cref="Rules"/>.</summary>
    /// <exception cref="QcowOptionsException">The policy file or a rule value is not valid.</exception>
    internal QcowValidationPolicy ToPolicy(ICakeEnvironment environment)
    {
        var policy = new QcowValidationPolicy();
        if (PolicyFile is not null) policy.Apply(PolicyFile.MakeAbsolute(environment).FullPath);
        policy.Include(Policy);
        foreach (var folder in AllowedDirectories) policy.AllowedDirectories.Add(folder.MakeAbsolute(environment).FullPath);
        foreach (var (rule, value) in Rules) policy.Set(rule, value);
        return policy;
    }

    /// <summary>Sets <see cref="QcowValidationPolicy.LeaksAsErrors"/>: leaked clusters fail the validation too.</summary>
    public QcowValidateSettings WithLeaksAsErrors(bool leaksAsErrors = true)
    {
        Policy.LeaksAsErrors = leaksAsErrors;
        return this;
    }

    /// <summary>Sets <see cref="QcowValidationPolicy.AllowDirty"/>: a dirty image passes.</summary>
    public QcowValidateSettings WithAllowDirty(bool allowDirty = true)
    {
        Policy.AllowDirty = allowDirty;
        return this;
    }

    /// <summary>Adds codes to <see cref="QcowValidationPolicy.AllowedFindings"/>.</summary>
    public QcowValidateSettings WithAllowedFindings(params string[] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        Policy.AllowedFindings.UnionWith(codes);
        return this;
    }

    /// <summary>Sets <see cref="QcowValidationPolicy.Deep"/>: inflate every compressed cluster too.</summary>
    public QcowValidateSettings WithDeep(bool deep = true)
    {
        Policy.Deep = deep;
        return this;
    }

    /// <summary>Sets <see cref="QcowValidationPolicy.Untrusted"/>: treat the image as hostile.</summary>
    public QcowValidateSettings WithUntrusted(bool untrusted = true)
    {
        Policy.Untrusted = untrusted;
        return this;
    }

    /// <summary>Adds a folder to <see cref="AllowedDirectories"/>.</summary>
    public QcowValidateSettings WithAllowedDirectory(DirectoryPath directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        AllowedDirectories.Add(directory);
        return this;
    }

    /// <summary>Sets <see cref="QcowValidationPolicy.MaxVirtualSize"/>.</summary>
    public QcowValidateSettings WithMaxVirtualSize(long bytes)
    {
        Policy.MaxVirtualSize = bytes;
        return this;
    }

    /// <summary>
    /// Sets <see cref="QcowValidationPolicy.ForceShare"/>, qemu-img check's <c>-U</c>: check the image even while another
    /// process writes it. Without it such an image is refused with qemu's <c>Failed to get shared "write" lock</c>.
    /// </summary>
    public QcowValidateSettings WithForceShare(bool forceShare = true)
    {
        Policy.ForceShare = forceShare;
        return this;
    }
}
