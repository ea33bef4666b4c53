namespace QcowKit.Check;

/// <summary>
/// The verdict of <see cref="QcowChecker"/>: qemu-img check's counts (same names and meaning as its
/// <c>--output=json</c> keys) plus findings with stable codes.
/// </summary>
public sealed class QcowCheckResult
{
    /// <summary>The image path as given.</summary>
    public required string Filename { get; init; }

    /// <summary>The image format: <c>qcow2</c>, or the probed format of an image that cannot be checked (exit code 63).</summary>
    public QcowImageFormat Format { get; init; } = QcowImageFormat.Qcow2;

    /// <summary>
    /// Why the check did not complete, in qemu-img's words and without the file name (the image could not
    /// be opened, its format has no checks, or the check failed); null when it completed.
    /// </summary>
    public string? Failure { get; init; }

    /// <summary>True when the check ran to the end. False means the image could not be opened or checked (exit code 1); qemu then prints no report.</summary>
    public required bool Completed { get; init; }

    /// <summary><c>check-errors</c>: internal errors during the check (unreadable metadata).</summary>
    public long CheckErrors { get; init; }

    /// <summary><c>corruptions</c>: inconsistencies that may corrupt data.</summary>
    public long Corruptions { get; init; }

    /// <summary><c>leaks</c>: clusters whose refcount is higher than their references.</summary>
    public long Leaks { get; init; }

    /// <summary><c>corruptions-fixed</c>: corruptions repaired.</summary>
    public long CorruptionsFixed { get; init; }

    /// <summary><c>leaks-fixed</c>: leaks repaired.</summary>
    public long LeaksFixed { get; init; }

    /// <summary><c>image-end-offset</c>: end of the highest cluster that is referenced or has a refcount.</summary>
    public long ImageEndOffset { get; init; }

    /// <summary><c>total-clusters</c>: clusters of the virtual disk.</summary>
    public long TotalClusters { get; init; }

    /// <summary><c>allocated-clusters</c>: guest clusters backed by this image (data, preallocated zero and compressed).</summary>
    public long AllocatedClusters { get; init; }

    /// <summary><c>fragmented-clusters</c>: allocated clusters not directly after their predecessor in the same L2 table, plus every compressed cluster.</summary>
    public long FragmentedClusters { get; init; }

    /// <summary><c>compressed-clusters</c>: compressed guest clusters.</summary>
    public long CompressedClusters { get; init; }

    /// <summary>Every problem found, in the order found.</summary>
    public IReadOnlyList<QcowFinding> Findings { get; init; } = [];

    /// <summary>What each cluster of the image file is, when <see cref="QcowCheckOptions.CollectHostMap"/> asked for it and the check completed; else null.</summary>
    public QcowHostMap? HostMap { get; init; }

    /// <summary>qemu-img check's exit code for an image whose format has no checks.</summary>
    public const int FormatWithoutChecksExitCode = 63;

    /// <summary>
    /// qemu-img check's exit code: 0 clean, 1 could not open or check, 2 corruptions, 3 leaks only,
    /// 63 a format without checks (raw).
    /// An error finding from the deep checks or the untrusted-image policy, which qemu does not make,
    /// turns 0 or 3 into 2 so that a build fails on it.
    /// </summary>
    public int ExitCode
    {
        get
        {
            if (Format != QcowImageFormat.Qcow2) return FormatWithoutChecksExitCode;
            if (!Completed || CheckErrors > 0) return 1;
            if (Corruptions > 0) return 2;
            if (Findings.Any(finding => finding.Severity == QcowFindingSeverity.Error)) return 2;
            return Leaks > 0 ? 3 : 0;
        }
    }

    /// <summary>The exit code qemu-img check itself gives: <see cref="ExitCode"/> without the deep and untrusted findings.</summary>
    public int QemuExitCode
    {
        get
        {
            if (Format != QcowImageFormat.Qcow2) return FormatWithoutChecksExitCode;
            if (!Completed || CheckErrors > 0) return 1;
            if (Corruptions > 0) return 2;
            return Leaks > 0 ? 3 : 0;
        }
    }
}
