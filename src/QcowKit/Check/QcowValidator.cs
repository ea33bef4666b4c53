using QcowKit.Format;

namespace QcowKit.Check;

/// <summary>
/// Validates an image against a <see cref="QcowValidationPolicy"/>: runs <see cref="QcowChecker"/>
/// read-only, adds a finding for each image rule the image breaks, and decides what blocks. The one
/// place that decides; the CLI, Cake and MSBuild only map their inputs and report the result.
/// </summary>
public static class QcowValidator
{
    /// <summary>Validates the image at <paramref name="path"/>. Never writes to it.</summary>
    /// <param name="path">The qcow2 image.</param>
    /// <param name="policy">The rules; null for the defaults (errors and a dirty image block, leaks warn).</param>
    /// <param name="progress">Told as the check walks the image's L2 tables; null for none.</param>
    /// <param name="cancellationToken">Stops the check between tables.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static QcowValidationResult Validate(string path, QcowValidationPolicy? policy = null, IProgress<QcowCheckProgress>? progress = null,
        CancellationToken cancellationToken = default) => Validate(path, policy, collectHostMap: false, progress, cancellationToken);

    /// <summary>
    /// Validates the image at <paramref name="path"/>, also collecting the host-cluster map
    /// (<see cref="QcowCheckResult.HostMap"/> of <see cref="QcowValidationResult.Check"/>) when
    /// <paramref name="collectHostMap"/> is set, for <see cref="QcowCheckReport"/>. Never writes to it.
    /// </summary>
    public static QcowValidationResult Validate(string path, QcowValidationPolicy? policy, bool collectHostMap, IProgress<QcowCheckProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        policy ??= new QcowValidationPolicy();
        var check = QcowChecker.Check(path, new QcowCheckOptions
        {
            // A validation judges qcow2 images: another file is an unusable one, not a format without checks.
            Format = QcowImageFormat.Qcow2,
            ForceShare = policy.ForceShare,
            Deep = policy.Deep,
            Untrusted = policy.Untrusted,
            AllowedDirectories = [.. policy.AllowedDirectories.Select(Path.GetFullPath)],
            MaxVirtualSize = policy.MaxVirtualSize ?? QcowCheckOptions.DefaultMaxVirtualSize,
            CollectHostMap = collectHostMap,
        }, progress, cancellationToken);
        var findings = new List<QcowFinding>(check.Findings);
        ApplyImageRules(path, policy, findings);
        var outcomes = findings.Select(finding => OutcomeOf(finding, policy)).ToList();
        // Counts that no error finding explains, or a check that did not finish, fail whatever the policy allows.
        var unexplained = check.Completed
            ? (check.Corruptions > 0 || check.CheckErrors > 0) && !check.Findings.Any(finding => finding.Severity == QcowFindingSeverity.Error)
            : !outcomes.Contains(QcowFindingOutcome.Blocks);
        if (unexplained)
        {
            findings.Add(new QcowFinding(QcowFindingCodes.CheckIncomplete, QcowFindingSeverity.Error, check.Completed
                ? $"the check counted {check.Corruptions} corruptions and {check.CheckErrors} check errors that no error finding explains"
                : "the check did not complete", -1));
            outcomes.Add(QcowFindingOutcome.Blocks);
        }
        return new QcowValidationResult(check, findings, outcomes);
    }

    /// <summary>What <paramref name="finding"/> means under <paramref name="policy"/>.</summary>
    public static QcowFindingOutcome OutcomeOf(QcowFinding finding, QcowValidationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(finding);
        ArgumentNullException.ThrowIfNull(policy);
        if (finding.Code == QcowFindingCodes.CheckIncomplete) return QcowFindingOutcome.Blocks;
        if (finding.Severity == QcowFindingSeverity.Info || policy.AllowedFindings.Contains(finding.Code)) return QcowFindingOutcome.Informs;
        var blocks = finding.Code switch
        {
            QcowFindingCodes.Leak => policy.LeaksAsErrors,
            QcowFindingCodes.Dirty => !policy.AllowDirty,
            _ => finding.Severity == QcowFindingSeverity.Error,
        };
        if (blocks) return QcowFindingOutcome.Blocks;
        return finding.Code == QcowFindingCodes.Dirty ? QcowFindingOutcome.Informs : QcowFindingOutcome.Warns;
    }

    /// <summary>Adds a finding for each image rule the header breaks; a header that does not parse has been reported by the check.</summary>
    private static void ApplyImageRules(string path, QcowValidationPolicy policy, List<QcowFinding> findings)
    {
        // A plain check (no image rule) must not open the image a second time.
        var anyRule = policy.MaxFileSize is not null || policy.MaxVirtualSize is not null || policy.RequiredCompat is not null
            || policy.RequiredCompressionType is not null || policy.RequiredClusterSize is not null || policy.NoBackingFile
            || policy.NoExternalDataFile || policy.NoSnapshots || policy.NoBitmaps || policy.NoEncryption || policy.NoUnknownFeatures;
        if (!anyRule) return;
        QcowHeader header;
        long fileLength;
        try
        {
            using var file = new CheckedFile(path, writable: false);
            fileLength = file.Length;
            header = QcowChecker.ReadHeaderForCheck(file, out _);
        }
        catch (Exception ex) when (QcowException.KindOf(ex) is not null)
        {
            return;
        }
        void Add(string code, string message, long offset)
        {
            // The untrusted policy may have reported the same thing (as an error, or as a note for an allowed folder).
            findings.RemoveAll(finding => finding.Code == code && finding.Offset == offset && finding.Severity != QcowFindingSeverity.Error);
            if (!findings.Any(finding => finding.Code == code && finding.Offset == offset))
            {
                findings.Add(new QcowFinding(code, QcowFindingSeverity.Error, message, offset));
            }
        }
        if (policy.MaxFileSize is { } maxFile && fileLength > maxFile)
        {
            Add(QcowFindingCodes.FileSizeTooLarge, $"the image file has {fileLength} bytes, more than MaxFileSize {maxFile}", -1);
        }
        if (policy.MaxVirtualSize is { } maxVirtual && header.Size > (ulong)Math.Max(0, maxVirtual))
        {
            Add(QcowFindingCodes.VirtualSizeTooLarge, $"the virtual size {header.Size} exceeds the limit of {maxVirtual} bytes", HeaderFieldOffsets.Size);
        }
        if (policy.RequiredCompat is { } compat && header.Version != (uint)compat)
        {
            Add(QcowFindingCodes.CompatMismatch, $"the image has compat {header.Compat} (version {header.Version}), RequiredCompat is {QemuNames.Name(compat)}", HeaderFieldOffsets.Version);
        }
        if (policy.RequiredCompressionType is { } compression && header.CompressionType != compression)
        {
            Add(QcowFindingCodes.CompressionTypeMismatch, $"the image's compression type is {QemuNames.Name(header.CompressionType)}, RequiredCompressionType is {QemuNames.Name(compression)}", HeaderFieldOffsets.CompressionType);
        }
        if (policy.RequiredClusterSize is { } clusterSize && header.ClusterSize != clusterSize)
        {
            Add(QcowFindingCodes.ClusterSizeMismatch, $"the cluster size is {header.ClusterSize} bytes, RequiredClusterSize is {clusterSize}", HeaderFieldOffsets.ClusterBits);
        }
        if (policy.NoBackingFile && !string.IsNullOrEmpty(header.BackingFile))
        {
            Add(QcowFindingCodes.BackingFileReference, $"the image names a backing file: '{header.BackingFile}'", (long)header.BackingFileOffset);
        }
        if (policy.NoExternalDataFile && header.HasExternalDataFile)
        {
            Add(QcowFindingCodes.DataFileReference, $"the image names an external data file: '{header.ExternalDataFile}'", HeaderFieldOffsets.IncompatibleFeatures);
        }
        if (policy.NoSnapshots && header.NbSnapshots != 0)
        {
            Add(QcowFindingCodes.HasSnapshots, $"the image has {header.NbSnapshots} internal snapshots", HeaderFieldOffsets.NbSnapshots);
        }
        if (policy.NoBitmaps && header.Bitmaps is { NbBitmaps: > 0 } bitmaps)
        {
            Add(QcowFindingCodes.HasBitmaps, $"the image has {bitmaps.NbBitmaps} persistent bitmaps", -1);
        }
        if (policy.NoEncryption && header.CryptMethod != 0)
        {
            Add(QcowFindingCodes.Encrypted, $"the image is encrypted (crypt_method {header.CryptMethod})", HeaderFieldOffsets.CryptMethod);
        }
        if (policy.NoUnknownFeatures)
        {
            UnknownFeatures(header, Add);
        }
    }

    private static void UnknownFeatures(QcowHeader header, Action<string, string, long> add)
    {
        var unknownCompatible = (ulong)(header.CompatibleFeatures & ~UntrustedPolicy.KnownCompatible);
        if (unknownCompatible != 0)
        {
            add(QcowFindingCodes.UnknownFeatureBits, $"unknown compatible feature bits 0x{unknownCompatible:x}", HeaderFieldOffsets.CompatibleFeatures);
        }
        var unknownAutoclear = (ulong)(header.AutoclearFeatures & ~UntrustedPolicy.KnownAutoclear);
        if (unknownAutoclear != 0)
        {
            add(QcowFindingCodes.UnknownFeatureBits, $"unknown autoclear feature bits 0x{unknownAutoclear:x}", HeaderFieldOffsets.AutoclearFeatures);
        }
        foreach (var extension in header.UnknownExtensions)
        {
            add(QcowFindingCodes.UnknownHeaderExtension, $"unknown header extension 0x{extension.Type:x8} ({extension.Data.Length} bytes)", extension.FileOffset);
        }
    }
}
