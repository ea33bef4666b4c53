using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image;
using QcowKit.Image.Files;

namespace QcowKit.Check;

/// <summary>
/// Checks (and optionally repairs) a qcow2 image like <c>qemu-img check</c>: the same verdict, exit
/// code and counts, plus findings with stable codes (<see cref="QcowFindingCodes"/>), deep checks qemu
/// skips, and a policy for untrusted images. Without repair the image is opened read-only and never
/// written. Memory use is bounded by the image file's size, not by what its header claims.
/// </summary>
public static class QcowChecker
{
    /// <summary>Checks the image at <paramref name="path"/>.</summary>
    /// <param name="path">The qcow2 image file.</param>
    /// <param name="options">What to check and repair; null for a plain read-only check.</param>
    /// <returns>The verdict; never throws for a malformed image (that is exit code 1 with a finding).</returns>
    /// <exception cref="QcowImageLockedException">Another process writes the image (or, for a repair, uses it at all), as qemu-img check refuses.</exception>
    /// <param name="progress">Told after each L2 table of the active L1 table; null for none.</param>
    /// <param name="cancellationToken">
    /// Stops a read-only check between tables. A repair observes it only before it starts, so an image is never left half-repaired.
    /// </param>
    /// <exception cref="QcowOptionsException"><see cref="QcowCheckOptions.ForceShare"/> with a repair.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static QcowCheckResult Check(string path, QcowCheckOptions? options = null, IProgress<QcowCheckProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new QcowCheckOptions();
        if (options.ForceShare && options.Repair != QcowRepairMode.None)
        {
            throw new QcowOptionsException(QcowOpenOptions.ForceShareWithWriteMessage);
        }
        var findings = new List<QcowFinding>();
        CheckedFile file;
        try
        {
            var format = options.Format is { } given ? QemuNames.Name(given) : VirtualDisk.Probe(path);
            if (format != "qcow2")
            {
                return NotCheckable(path, format, findings);
            }
            file = new CheckedFile(path, writable: options.Repair != QcowRepairMode.None, options.ForceShare);
        }
        catch (Exception ex) when (ex is IOException and not QcowImageLockedException or UnauthorizedAccessException)
        {
            return CannotOpen(path, findings, QcowFindingCodes.IoError, HostFiles.Reason(path, ex), -1);
        }

        using (file)
        {
            return CheckGuarded(path, file, options, findings, progress, cancellationToken);
        }
    }

    /// <summary>
    /// Checks (and optionally repairs) a qcow2 image held in a seekable <paramref name="stream"/>, with the same checks,
    /// counts and findings as <see cref="Check(string, QcowCheckOptions?, IProgress{QcowCheckProgress}?, CancellationToken)"/>;
    /// the result's file name is <see cref="QcowImage.StreamFileName"/>. Nothing is locked, and the stream is left open.
    /// </summary>
    /// <remarks>
    /// An image that names a backing file or an external data file is refused (a stream cannot lead to other files) unless
    /// <see cref="QcowCheckOptions.Untrusted"/> is set, which never opens them anyway.
    /// </remarks>
    /// <param name="stream">Readable and seekable; also writable for a repair.</param>
    /// <param name="options">What to check and repair; null for a plain read-only check. <see cref="QcowCheckOptions.ForceShare"/> changes nothing.</param>
    /// <param name="progress">Told after each L2 table of the active L1 table; null for none.</param>
    /// <param name="cancellationToken">As for a path.</param>
    /// <returns>The verdict; never throws for a malformed image.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot read or seek.</exception>
    /// <exception cref="QcowOptionsException">A repair of a stream that cannot write, or an image naming other files.</exception>
    public static QcowCheckResult Check(Stream stream, QcowCheckOptions? options = null, IProgress<QcowCheckProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new QcowCheckOptions();
        var repair = options.Repair != QcowRepairMode.None;
        // The check borrows the caller's stream: the caller still has the image to use (or to check again) afterwards.
        var host = new StreamHostFile(stream, leaveOpen: true);
        if (repair && !host.CanWrite)
        {
            throw new QcowOptionsException("The stream is read-only (CanWrite is false); a repair must write it");
        }
        const string Name = QcowImage.StreamFileName;
        var findings = new List<QcowFinding>();
        var format = options.Format is { } given ? QemuNames.Name(given) : VirtualDisk.Probe(host);
        if (format != "qcow2")
        {
            return NotCheckable(Name, format, findings);
        }
        using var file = new CheckedFile(host, repair);
        return CheckGuarded(Name, file, options, findings, progress, cancellationToken);
    }

    /// <summary>Runs the check on an open file; a malformed image or a failing read becomes a result, not an exception.</summary>
    private static QcowCheckResult CheckGuarded(string path, CheckedFile file, QcowCheckOptions options, List<QcowFinding> findings,
        IProgress<QcowCheckProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            return CheckOpenFile(path, file, options, findings, progress, cancellationToken);
        }
        catch (QcowFormatException ex)
        {
            return CannotOpen(path, findings, QcowFindingCodes.CannotOpen, ex.Message, ex.Offset);
        }
        catch (IOException ex) when (ex is not (QcowImageLockedException or QcowOptionsException))
        {
            var reason = HostFiles.Reason(path, ex);
            findings.Add(new QcowFinding(QcowFindingCodes.IoError, QcowFindingSeverity.Error, $"I/O error on '{path}': {reason}", -1));
            return Failed(path, findings, new CheckCounts(), $"Check failed: {reason}");
        }
    }

    private static QcowCheckResult CheckOpenFile(string path, CheckedFile file, QcowCheckOptions options, List<QcowFinding> findings,
        IProgress<QcowCheckProgress>? progress, CancellationToken cancellationToken)
    {
        var header = ReadHeaderForCheck(file, out var geometry);
        if (options.Untrusted)
        {
            UntrustedPolicy.Apply(path, header, options, findings);
        }
        else if (file.IsStream)
        {
            QcowImage.RefuseExternalFilesOverStream(header, dataFileOverride: null);
        }
        else if (ExternalFilesProblem(path, header) is { } problem)
        {
            return CannotOpen(path, findings, QcowFindingCodes.CannotOpen, problem.Message, problem.Offset);
        }
        using var externalLocks = options.Untrusted || file.IsStream ? null : ExternalFileLocks.Hold(path, header, options);
        if (header.CryptMethod != 0)
        {
            // qemu-img check cannot open an encrypted image without its key secret; QcowKit has no keys.
            return CannotOpen(path, findings, QcowFindingCodes.CannotOpen,
                $"the image is encrypted (crypt_method {header.CryptMethod}) and needs a key", HeaderFieldOffsets.CryptMethod);
        }
        if (geometry.Dirty)
        {
            findings.Add(new QcowFinding(QcowFindingCodes.Dirty, QcowFindingSeverity.Warning,
                "the image is marked dirty: it was not closed cleanly while lazy refcounts were in use, so refcounts may be stale", HeaderFieldOffsets.IncompatibleFeatures));
        }
        if (geometry.Corrupt)
        {
            findings.Add(new QcowFinding(QcowFindingCodes.MarkedCorrupt, QcowFindingSeverity.Warning,
                "the image is marked corrupt; qemu opens it read-only until it is repaired", HeaderFieldOffsets.IncompatibleFeatures));
        }

        using var first = new CheckSession(file, geometry, findings) { Fix = options.Repair, Progress = progress, Cancellation = cancellationToken, CollectMap = options.CollectHostMap };
        CheckCounts counts;
        try
        {
            counts = first.Run();
        }
        catch (CheckAbortedWithCountsException ex)
        {
            if (options.Repair != QcowRepairMode.None) first.CloseAfterRepair();
            findings.Add(new QcowFinding(QcowFindingCodes.CheckFailed, QcowFindingSeverity.Error, "Check failed", -1));
            return Failed(path, findings, ex.Counts, "Check failed");
        }

        if (options.Repair != QcowRepairMode.None && (counts.CorruptionsFixed != 0 || counts.LeaksFixed != 0))
        {
            // qemu-img checks the repaired image again and reports that, keeping the fixed counts.
            var before = findings.Select(finding => finding with { Severity = QcowFindingSeverity.Info, Message = "before repair: " + finding.Message }).ToList();
            findings.Clear();
            findings.AddRange(before);
            ReadHeaderForCheck(file, out var repairedGeometry);
            using var second = new CheckSession(file, repairedGeometry, findings);
            CheckCounts recheck;
            try
            {
                recheck = second.Run();
            }
            catch (CheckAbortedWithCountsException ex)
            {
                first.CloseAfterRepair();
                findings.Add(new QcowFinding(QcowFindingCodes.CheckFailed, QcowFindingSeverity.Error, "Check failed", -1));
                return Failed(path, findings, ex.Counts, "Check failed");
            }
            recheck.CorruptionsFixed = counts.CorruptionsFixed;
            recheck.LeaksFixed = counts.LeaksFixed;
            counts = recheck;
        }
        if (options.Repair != QcowRepairMode.None)
        {
            first.CloseAfterRepair();
        }
        if (options.Deep)
        {
            ReadHeaderForCheck(file, out var deepGeometry);
            DeepCheck.Run(file, header, deepGeometry, findings);
        }
        return new QcowCheckResult
        {
            Filename = path,
            Completed = true,
            CheckErrors = counts.CheckErrors,
            Corruptions = counts.Corruptions,
            Leaks = counts.Leaks,
            CorruptionsFixed = counts.CorruptionsFixed,
            LeaksFixed = counts.LeaksFixed,
            ImageEndOffset = counts.ImageEndOffset,
            TotalClusters = counts.TotalClusters,
            AllocatedClusters = counts.AllocatedClusters,
            FragmentedClusters = counts.FragmentedClusters,
            CompressedClusters = counts.CompressedClusters,
            Findings = findings,
            HostMap = first.HostMap,
        };
    }

    /// <summary>qemu-img check probes the format and gives up with exit code 63 on anything but qcow2.</summary>
    private static QcowCheckResult NotCheckable(string path, string format, List<QcowFinding> findings)
    {
        if (format != "raw")
        {
            return CannotOpen(path, findings, QcowFindingCodes.CannotOpen, $"the image format '{format}' is not supported (only qcow2 and raw)", -1);
        }
        const string Message = "This image format does not support checks";
        findings.Add(new QcowFinding(QcowFindingCodes.FormatWithoutChecks, QcowFindingSeverity.Error, Message, -1));
        return Failed(path, findings, new CheckCounts(), Message, QcowImageFormat.Raw);
    }

    private static QcowCheckResult CannotOpen(string path, List<QcowFinding> findings, string code, string reason, long offset)
    {
        findings.Add(new QcowFinding(code, QcowFindingSeverity.Error, $"Could not open '{path}': {reason}", offset));
        return Failed(path, findings, new CheckCounts(), reason);
    }

    private static QcowCheckResult Failed(string path, List<QcowFinding> findings, CheckCounts counts, string failure, QcowImageFormat format = QcowImageFormat.Qcow2) => new()
    {
        Filename = path,
        Format = format,
        Completed = false,
        Failure = failure,
        CheckErrors = counts.CheckErrors,
        Corruptions = counts.Corruptions,
        Leaks = counts.Leaks,
        CorruptionsFixed = counts.CorruptionsFixed,
        LeaksFixed = counts.LeaksFixed,
        Findings = findings,
    };

    /// <summary>
    /// Parses the header with qemu's check-time rules (<see cref="QcowHeaderRules.Check"/>): what
    /// <c>qemu-img check</c> refuses to open fails here with the field and offset; what it still opens
    /// (an empty refcount table, tables past the end of the file, any snapshot table pointer) is left to the check.
    /// </summary>
    internal static QcowHeader ReadHeaderForCheck(CheckedFile file, out CheckGeometry geometry)
    {
        // A file shorter than the header reads as zeros past its end, as in qemu, which then names the field that is wrong.
        Span<byte> fixedFields = stackalloc byte[HeaderFieldOffsets.Version3HeaderLength];
        file.Read(0, fixedFields);
        var clusterBits = BinaryPrimitives.ReadUInt32BigEndian(fixedFields[HeaderFieldOffsets.ClusterBits..]);
        // Let the parser name a bad magic, version or cluster size; only then is the cluster size trusted for a buffer.
        var bufferBits = clusterBits is >= QcowLimits.MinClusterBits and <= QcowLimits.MaxClusterBits ? (int)clusterBits : QcowLimits.MinClusterBits;
        var cluster = new byte[Math.Max(1 << bufferBits, HeaderFieldOffsets.Version3HeaderLength)];
        file.Read(0, cluster);
        var header = QcowHeader.Parse(cluster, file.Length, QcowHeaderRules.Check);
        var refcountTableClusters = header.RefcountTableClusters;
        var nbSnapshots = header.NbSnapshots;
        var snapshotsOffset = header.SnapshotsOffset;
        geometry = new CheckGeometry
        {
            Version = (int)header.Version,
            ClusterBits = header.ClusterBits,
            VirtualSize = header.Size,
            L1TableOffset = header.L1TableOffset,
            L1Size = header.L1Size,
            RefcountTableOffset = header.RefcountTableOffset,
            RefcountTableClusters = refcountTableClusters,
            RefcountOrder = header.RefcountOrder,
            NbSnapshots = nbSnapshots,
            SnapshotsOffset = snapshotsOffset,
            ExtendedL2 = header.HasExtendedL2,
            HasDataFile = header.HasExternalDataFile,
            Dirty = header.IsDirty,
            Corrupt = header.IsCorrupt,
            CryptoHeaderOffset = header.FullDiskEncryption?.Offset ?? 0,
            CryptoHeaderLength = header.FullDiskEncryption?.Length ?? 0,
            NbBitmaps = header.Bitmaps?.NbBitmaps ?? 0,
            BitmapDirectoryOffset = header.Bitmaps?.BitmapDirectoryOffset ?? 0,
            BitmapDirectorySize = header.Bitmaps?.BitmapDirectorySize ?? 0,
        };
        return header;
    }

    /// <summary>
    /// qemu-img check opens the backing file and the external data file, and fails when they are missing.
    /// QcowKit only looks them up (it never opens them): backing files relative to the image's folder,
    /// data files relative to the current folder, as qemu 7.2 does. Returns why the image cannot be opened, or null.
    /// </summary>
    private static (string Message, long Offset)? ExternalFilesProblem(string path, QcowHeader header)
    {
        if (BackingChainProblem(path, header) is { } backingProblem)
        {
            return backingProblem;
        }
        if (header.HasExternalDataFile)
        {
            if (string.IsNullOrEmpty(header.ExternalDataFile))
            {
                return ("'data-file' is required for this image", HeaderFieldOffsets.IncompatibleFeatures);
            }
            if (!File.Exists(Path.GetFullPath(header.ExternalDataFile)))
            {
                return ($"Could not open data file '{header.ExternalDataFile}': No such file", -1);
            }
        }
        return null;
    }

    /// <summary>
    /// Follows the backing chain by the names in each header (opening nothing but headers): a missing
    /// file or a loop back to an image already in the chain, which qemu-img check follows forever, is
    /// reported with the same message as opening the chain gives.
    /// </summary>
    private static (string Message, long Offset)? BackingChainProblem(string path, QcowHeader top)
    {
        var chain = new HashSet<string>(StringComparer.Ordinal) { Path.GetFullPath(path) };
        var (name, header) = (path, top);
        var maxDepth = new QcowOpenOptions().MaxBackingChainDepth;
        while (header.BackingFile is { Length: > 0 } backingName)
        {
            var backing = QcowImage.CombineBackingName(name, backingName);
            var fullPath = Path.GetFullPath(backing);
            if (!File.Exists(fullPath))
            {
                return ($"Could not open backing file '{backingName}': No such file", (long)header.BackingFileOffset);
            }
            if (!chain.Add(fullPath))
            {
                var loop = QcowImage.BackingLoop(header, fullPath);
                return (loop.Message, loop.Offset);
            }
            if (chain.Count > maxDepth)
            {
                return ($"the backing chain is deeper than {maxDepth} images", (long)header.BackingFileOffset);
            }
            try
            {
                if ((header.BackingFormat ?? VirtualDisk.Probe(fullPath)) != "qcow2")
                {
                    return null;
                }
                using var file = new HandleHostFile(HostFiles.OpenExisting(fullPath, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
                (name, header) = (backing, QcowHeader.Read(file, file.Length));
            }
            catch (IOException ex)
            {
                // qemu-img check opens the whole chain, so a backing file that does not open fails it.
                return ($"Could not open backing file '{backingName}': {ex.Message}", (long)header.BackingFileOffset);
            }
        }
        return null;
    }
}
