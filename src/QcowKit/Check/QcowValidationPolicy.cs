using QcowKit.Format;

namespace QcowKit.Check;

/// <summary>
/// What makes an image acceptable: which findings block, how the image is checked (deep, untrusted), and
/// the image rules CI pipelines ask for. Every surface exposes these rules under the same names
/// (<see cref="RuleNames"/>): CLI <c>check --policy FILE</c> and <c>--kebab-case</c> flags, Cake
/// <c>QcowValidateSettings</c>, MSBuild <c>QcowValidate</c> parameters; each maps its input onto this
/// class (typed, or by name through <see cref="Set"/>) and <see cref="QcowValidator"/> decides.
/// </summary>
public sealed partial class QcowValidationPolicy
{
    /// <summary>Every rule name, as properties, JSON policy keys, Cake settings and MSBuild parameters spell it.</summary>
    public static IReadOnlyList<string> RuleNames { get; } =
    [
        nameof(LeaksAsErrors), nameof(AllowDirty), nameof(AllowedFindings), nameof(Deep), nameof(Untrusted), nameof(AllowedDirectories),
        nameof(MaxVirtualSize), nameof(MaxFileSize), nameof(RequiredCompat), nameof(RequiredCompressionType), nameof(RequiredClusterSize),
        nameof(NoBackingFile), nameof(NoExternalDataFile), nameof(NoSnapshots), nameof(NoBitmaps), nameof(NoEncryption), nameof(NoUnknownFeatures),
    ];

    /// <summary>The names of the rules that take on/off values (CLI flags without a value).</summary>
    public static IReadOnlyList<string> BooleanRuleNames { get; } =
    [
        nameof(LeaksAsErrors), nameof(AllowDirty), nameof(Deep), nameof(Untrusted),
        nameof(NoBackingFile), nameof(NoExternalDataFile), nameof(NoSnapshots), nameof(NoBitmaps), nameof(NoEncryption), nameof(NoUnknownFeatures),
    ];

    /// <summary>The names of the rules that take a list (values add up; a surface's text may separate them with commas or semicolons).</summary>
    public static IReadOnlyList<string> ListRuleNames { get; } = [nameof(AllowedFindings), nameof(AllowedDirectories)];

    /// <summary>
    /// The rules that only change how an image is checked (deeper, or as untrusted input), not what passes: alone they
    /// leave a check with qemu-img's verdict and exit codes; every other rule makes it a judgement.
    /// </summary>
    public static IReadOnlyList<string> CheckingRuleNames { get; } = [nameof(Deep), nameof(Untrusted), nameof(AllowedDirectories)];

    /// <summary>Leaked clusters (QCOW0202) block too; by default they only warn.</summary>
    public bool LeaksAsErrors { get; set; }

    /// <summary>A dirty image (QCOW0800) passes; by default it blocks.</summary>
    public bool AllowDirty { get; set; }

    /// <summary>Finding codes that never block (they are still reported). QCOW0103 cannot be allowed.</summary>
    public ISet<string> AllowedFindings { get; } = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Also inflate every compressed cluster and check what qemu-img check skips.</summary>
    public bool Deep { get; set; }

    /// <summary>
    /// Treat the image as hostile: open no other file; backing files, external data files, protocol
    /// names, encryption, unknown features and a virtual size above <see cref="MaxVirtualSize"/> (default
    /// 2 TiB) are error findings.
    /// </summary>
    public bool Untrusted { get; set; }

    /// <summary>With <see cref="Untrusted"/>: folders a backing or data file may live in (absolute, or relative to the current folder).</summary>
    public IList<string> AllowedDirectories { get; } = [];

    /// <summary>Largest accepted virtual size (QCOW0706); null: no limit, or 2 TiB with <see cref="Untrusted"/>.</summary>
    public long? MaxVirtualSize { get; set; }

    /// <summary>Largest accepted image file size in bytes (QCOW0900).</summary>
    public long? MaxFileSize { get; set; }

    /// <summary>The header version the image must have (QCOW0901).</summary>
    public QcowCompat? RequiredCompat { get; set; }

    /// <summary>The compression type the image must have (QCOW0902).</summary>
    public CompressionType? RequiredCompressionType { get; set; }

    /// <summary>The cluster size in bytes the image must have (QCOW0903).</summary>
    public int? RequiredClusterSize { get; set; }

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

    /// <summary>The image must have no unknown feature bits (QCOW0705) or header extensions (QCOW0707).</summary>
    public bool NoUnknownFeatures { get; set; }

    /// <summary>
    /// qemu's force-share (<c>-U</c>): read the image although another process holds it for writing. Not a rule
    /// (it says how to open the image, not what is acceptable), so it has no name in <see cref="RuleNames"/>.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>
    /// Sets one rule from text, as every surface receives it: booleans as true/false, on/off, yes/no;
    /// sizes as qemu sizes (<see cref="QemuSize.Parse"/>); compat as 0.10/1.1 (or v2/v3); compression as
    /// zlib/zstd; list rules add their comma- or semicolon-separated items.
    /// </summary>
    /// <param name="rule">A name from <see cref="RuleNames"/> (any case).</param>
    /// <param name="value">The value as text.</param>
    /// <exception cref="QcowOptionsException"><c>RULE: why</c> for an unknown rule or a bad value.</exception>
    public void Set(string rule, string value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(value);
        var name = RuleNames.FirstOrDefault(n => string.Equals(n, rule, StringComparison.OrdinalIgnoreCase))
            ?? throw new QcowOptionsException($"'{rule}' is not a validation rule (known: {string.Join(", ", RuleNames)})");
        var text = value.Trim();
        try
        {
            switch (name)
            {
                case nameof(LeaksAsErrors): LeaksAsErrors = ParseBoolean(text); break;
                case nameof(AllowDirty): AllowDirty = ParseBoolean(text); break;
                case nameof(Deep): Deep = ParseBoolean(text); break;
                case nameof(Untrusted): Untrusted = ParseBoolean(text); break;
                case nameof(NoBackingFile): NoBackingFile = ParseBoolean(text); break;
                case nameof(NoExternalDataFile): NoExternalDataFile = ParseBoolean(text); break;
                case nameof(NoSnapshots): NoSnapshots = ParseBoolean(text); break;
                case nameof(NoBitmaps): NoBitmaps = ParseBoolean(text); break;
                case nameof(NoEncryption): NoEncryption = ParseBoolean(text); break;
                case nameof(NoUnknownFeatures): NoUnknownFeatures = ParseBoolean(text); break;
                case nameof(AllowedFindings):
                    foreach (var code in SplitList(text)) AllowedFindings.Add(code);
                    break;
                case nameof(AllowedDirectories):
                    foreach (var folder in SplitList(text)) AllowedDirectories.Add(folder);
                    break;
                case nameof(MaxVirtualSize): MaxVirtualSize = QemuSize.Parse(text); break;
                case nameof(MaxFileSize): MaxFileSize = QemuSize.Parse(text); break;
                case nameof(RequiredClusterSize):
                    var clusterSize = QemuSize.Parse(text);
                    RequiredClusterSize = clusterSize <= int.MaxValue
                        ? (int)clusterSize
                        : throw new QcowOptionsException("Cluster size must be a power of two between 512 and 2048k");
                    break;
                case nameof(RequiredCompat):
                    RequiredCompat = QemuNames.ParseCompat(text);
                    break;
                default:
                    RequiredCompressionType = QemuNames.ParseCompressionType(text);
                    break;
            }
        }
        catch (QcowOptionsException ex)
        {
            throw new QcowOptionsException($"{name}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Adds the rules set on <paramref name="other"/> over this policy: what it turns on is turned on, its
    /// list items are added, its limits and requirements replace these where it has them. This is how a
    /// surface layers its typed settings over a policy file.
    /// </summary>
    /// <param name="other">The policy whose rules are added.</param>
    public void Include(QcowValidationPolicy other)
    {
        ArgumentNullException.ThrowIfNull(other);
        LeaksAsErrors |= other.LeaksAsErrors;
        AllowDirty |= other.AllowDirty;
        Deep |= other.Deep;
        Untrusted |= other.Untrusted;
        ForceShare |= other.ForceShare;
        NoBackingFile |= other.NoBackingFile;
        NoExternalDataFile |= other.NoExternalDataFile;
        NoSnapshots |= other.NoSnapshots;
        NoBitmaps |= other.NoBitmaps;
        NoEncryption |= other.NoEncryption;
        NoUnknownFeatures |= other.NoUnknownFeatures;
        AllowedFindings.UnionWith(other.AllowedFindings);
        foreach (var folder in other.AllowedDirectories) AllowedDirectories.Add(folder);
        MaxVirtualSize = other.MaxVirtualSize ?? MaxVirtualSize;
        MaxFileSize = other.MaxFileSize ?? MaxFileSize;
        RequiredCompat = other.RequiredCompat ?? RequiredCompat;
        RequiredCompressionType = other.RequiredCompressionType ?? RequiredCompressionType;
        RequiredClusterSize = other.RequiredClusterSize ?? RequiredClusterSize;
    }

    /// <summary>The rule name of a CLI flag or JSON key spelled in kebab case (<c>max-file-size</c> is MaxFileSize).</summary>
    public static string KebabCase(string rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var builder = new System.Text.StringBuilder(rule.Length + 4);
        for (var i = 0; i < rule.Length; i++)
        {
            if (char.IsUpper(rule[i]) && i > 0) builder.Append('-');
            builder.Append(char.ToLowerInvariant(rule[i]));
        }
        return builder.ToString();
    }

    private static bool ParseBoolean(string text) => text.ToLowerInvariant() switch
    {
        "true" or "on" or "yes" or "1" => true,
        "false" or "off" or "no" or "0" => false,
        _ => throw new QcowOptionsException($"'{text}' is not a boolean (true/false, on/off, yes/no)"),
    };

    private static string[] SplitList(string text) =>
        text.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
