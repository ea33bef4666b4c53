namespace QcowKit.Check;

/// <summary>Options for <see cref="QcowChecker.Check(string, QcowCheckOptions?, IProgress{QcowCheckProgress}?, CancellationToken)"/>.</summary>
public sealed class QcowCheckOptions
{
    /// <summary>The default limit for <see cref="MaxVirtualSize"/>: 2 TiB.</summary>
    public const long DefaultMaxVirtualSize = 2L << 40;

    /// <summary>
    /// The image format: null probes it as qemu-img check does (anything without the qcow2 magic is raw,
    /// which has no checks: exit code 63); <see cref="QcowImageFormat.Qcow2"/> insists, so another file cannot be
    /// opened (exit code 1). Surfaces parse qemu's <c>-f</c> names with <see cref="QemuNames.ParseDriver"/>.
    /// </summary>
    public QcowImageFormat? Format { get; init; }

    /// <summary>What to repair. Anything but <see cref="QcowRepairMode.None"/> opens the image for writing.</summary>
    public QcowRepairMode Repair { get; init; }

    /// <summary>
    /// Also decompress every compressed cluster and check header semantics that qemu-img check skips
    /// (zero clusters in a compat 0.10 image, compressed streams that do not inflate to a whole cluster).
    /// </summary>
    public bool Deep { get; init; }

    /// <summary>
    /// Treat the image as hostile: report backing files, external data files, <c>json:</c> and protocol
    /// names, encryption, unknown feature bits and header extensions, and a virtual size above
    /// <see cref="MaxVirtualSize"/>; never open any file but the image itself.
    /// </summary>
    public bool Untrusted { get; init; }

    /// <summary>
    /// In untrusted mode, folders a backing file or external data file may live in (after resolving
    /// symbolic links). Empty: every such reference is a finding.
    /// </summary>
    public IReadOnlyList<string> AllowedDirectories { get; init; } = [];

    /// <summary>
    /// qemu's force-share (<c>-U</c>): check even while another process writes the image, and keep nobody from
    /// writing it meanwhile. Only without repair; with <see cref="Repair"/> it throws <see cref="ArgumentException"/>.
    /// </summary>
    public bool ForceShare { get; init; }

    /// <summary>In untrusted mode, the largest virtual disk size accepted without a finding.</summary>
    public long MaxVirtualSize { get; init; } = DefaultMaxVirtualSize;

    /// <summary>
    /// Also classify every cluster of the image file (<see cref="QcowCheckResult.HostMap"/>) for a report such as
    /// <see cref="QcowCheckReport"/>; costs one more pass over the refcounts. The map shows the image as found, before any repair.
    /// </summary>
    public bool CollectHostMap { get; init; }
}
