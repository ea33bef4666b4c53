using Cake.Core;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Check;
using QcowKit.Format;

namespace Cake.QcowKit;

/// <summary>
/// What <see cref="QcowAliases.QcowValidate(Cake.Core.ICakeContext, FilePath, QcowValidateSettings?)"/>
/// accepts: the engine's <see cref="QcowValidationPolicy"/> rules under the same names (README, "Validation
/// policy"). By default an image passes when the check completes with no error finding and the
/// image is not dirty; leaks are logged as warnings.
/// </summary>
public sealed class QcowValidateSettings
{
    /// <summary>Fail on leaked clusters too (<c>qemu-img check</c> exit code 3), not only on corruptions.</summary>
    public bool LeaksAsErrors { get; set; }

    /// <summary>Accept an image whose dirty bit is set (finding QCOW0800), e.g. one left by a VM using lazy refcounts.</summary>
    public bool AllowDirty { get; set; }

    /// <summary>Finding codes (<c>QCOW0xxx</c>) that never fail the validation; they are still logged.</summary>
    public ISet<string> AllowedFindings { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Also inflate every compressed cluster and check what qemu-img check skips.</summary>
    public bool Deep { get; set; }

    /// <summary>
    /// Treat the image as hostile: open no other file, and report backing files, external data
    /// files, protocol names, unknown features and an oversized disk as errors.
    /// </summary>
    public bool Untrusted { get; set; }

    /// <summary>With <see cref="Untrusted"/>: folders a backing or data file may live in.</summary>
    public IList<DirectoryPath> AllowedDirectories { get; } = [];

    /// <summary>The largest virtual size accepted; null: no limit, or the engine's default (2 TiB) with <see cref="Untrusted"/>.</summary>
    public long? MaxVirtualSize { get; set; }

    /// <summary>The largest image file size accepted (QCOW0900).</summary>
    public long? MaxFileSize { get; set; }

    /// <summary>The compat level the image must have (QCOW0901).</summary>
    public QcowCompat? RequiredCompat { get; set; }

    /// <summary>The compression type the image must have (QCOW0902).</summary>
    public CompressionType? RequiredCompressionType { get; set; }

    /// <summary>The cluster size the image must have (QCOW0903).</summary>
    public long? RequiredClusterSize { get; set; }

    /// <summary>The image must not name a backing file (QCOW0700).</summary>
    public bool NoBackingFile { get; set; }

    /// <summary>The image must not use an external data file (QCOW0703).</summary>
    public bool NoExternalDataFile { get; set; }

    /// <summary>The image must have no internal snapshots (QCOW0904).</summary>
    public bool NoSnapshots { get; set; }

    /// <summary>The image must have no persistent bitmaps (QCOW0905).</summary>
    public bool NoBitmaps { get; set; }

    /// <summary>The image must not be encrypted (QCOW0704).</summary>
    public bool NoEncryption { get; set; }

    /// <summary>The image must have no unknown feature bits or header extensions (QCOW0705, QCOW0707).</summary>
    public bool NoUnknownFeatures { get; set; }

    /// <summary>A JSON policy file (the same file <c>qcowkit check --policy</c> reads), applied before the properties set here.</summary>
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

    /// <summary>Sets <see cref="PolicyFile"/>.</summary>
    public QcowValidateSettings WithPolicyFile(FilePath policyFile)
    {
        PolicyFile = policyFile;
        return this;
    }

    /// <summary>The engine's policy: the policy file, then the properties, then <see cref="Rules"/>.</summary>
    /// <exception cref="QcowOptionsException">The policy file or a rule value is not valid.</exception>
    internal QcowValidationPolicy ToPolicy(ICakeEnvironment environment)
    {
        var policy = new QcowValidationPolicy();
        if (PolicyFile is not null) policy.Apply(PolicyFile.MakeAbsolute(environment).FullPath);
        policy.LeaksAsErrors |= LeaksAsErrors;
        policy.AllowDirty |= AllowDirty;
        policy.Deep |= Deep;
        policy.ForceShare |= ForceShare;
        policy.Untrusted |= Untrusted;
        policy.NoBackingFile |= NoBackingFile;
        policy.NoExternalDataFile |= NoExternalDataFile;
        policy.NoSnapshots |= NoSnapshots;
        policy.NoBitmaps |= NoBitmaps;
        policy.NoEncryption |= NoEncryption;
        policy.NoUnknownFeatures |= NoUnknownFeatures;
        foreach (var code in AllowedFindings) policy.AllowedFindings.Add(code);
        foreach (var folder in AllowedDirectories) policy.AllowedDirectories.Add(folder.MakeAbsolute(environment).FullPath);
        policy.MaxVirtualSize = MaxVirtualSize ?? policy.MaxVirtualSize;
        policy.MaxFileSize = MaxFileSize ?? policy.MaxFileSize;
        policy.RequiredCompat = RequiredCompat ?? policy.RequiredCompat;
        policy.RequiredCompressionType = RequiredCompressionType ?? policy.RequiredCompressionType;
        policy.RequiredClusterSize = RequiredClusterSize ?? policy.RequiredClusterSize;
        foreach (var (rule, value) in Rules) policy.Set(rule, value);
        return policy;
    }

    /// <summary>
    /// qemu-img check's <c>-U</c> (force-share): check the image even while another process writes it, and keep
    /// nobody from writing it meanwhile. Without it such an image is refused with qemu's <c>Failed to get shared "write" lock</c>.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>Sets <see cref="LeaksAsErrors"/>.</summary>
    public QcowValidateSettings WithLeaksAsErrors(bool leaksAsErrors = true)
    {
        LeaksAsErrors = leaksAsErrors;
        return this;
    }

    /// <summary>Sets <see cref="AllowDirty"/>.</summary>
    public QcowValidateSettings WithAllowDirty(bool allowDirty = true)
    {
        AllowDirty = allowDirty;
        return this;
    }

    /// <summary>Adds codes to <see cref="AllowedFindings"/>.</summary>
    public QcowValidateSettings WithAllowedFindings(params string[] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        foreach (var code in codes)
        {
            AllowedFindings.Add(code);
        }
        return this;
    }

    /// <summary>Sets <see cref="Deep"/>.</summary>
    public QcowValidateSettings WithDeep(bool deep = true)
    {
        Deep = deep;
        return this;
    }

    /// <summary>Sets <see cref="Untrusted"/>.</summary>
    public QcowValidateSettings WithUntrusted(bool untrusted = true)
    {
        Untrusted = untrusted;
        return this;
    }

    /// <summary>Adds a folder to <see cref="AllowedDirectories"/>.</summary>
    public QcowValidateSettings WithAllowedDirectory(DirectoryPath directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        AllowedDirectories.Add(directory);
        return this;
    }

    /// <summary>Sets <see cref="MaxVirtualSize"/>.</summary>
    public QcowValidateSettings WithMaxVirtualSize(long bytes)
    {
        MaxVirtualSize = bytes;
        return this;
    }

    /// <summary>Sets <see cref="ForceShare"/>.</summary>
    public QcowValidateSettings WithForceShare(bool forceShare = true)
    {
        ForceShare = forceShare;
        return this;
    }
}
