using System.Globalization;
using QcowKit.Check;
using QcowKit.Format;
using QcowKit.Image;

namespace QcowKit.Amend;

/// <summary>
/// qemu's qcow2_amend_options: validates every option against the image first (qemu refuses some of them only
/// after earlier steps ran; refusing them all up front keeps a refused amend from writing anything), then runs
/// the steps in qemu's order: upgrade, refcount width, data file options, lazy refcounts, size, downgrade.
/// </summary>
internal static class QcowAmender
{
    private const int CompatibleDowngradeVersion = 2;

    public static void Amend(string path, QcowAmendOptions options, IProgress<QcowAmendProgress>? progress, CancellationToken cancellationToken) =>
        Amend(path, options, progress, null, cancellationToken);

    /// <param name="path">The image.</param>
    /// <param name="options">What to change.</param>
    /// <param name="progress">Progress receiver, or null.</param>
    /// <param name="checkpoint">Called wherever the image on disk is consistent; crash tests throw from it.</param>
    /// <param name="cancellationToken">Checked between consistent steps.</param>
    internal static void Amend(string path, QcowAmendOptions options, IProgress<QcowAmendProgress>? progress, Action<string>? checkpoint,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsEmpty)
        {
            throw new QcowOptionsException("Must specify options (-o)");
        }
        var plan = Validate(path, options);
        if (plan.Dirty)
        {
            RepairDirty(path);
            // Refusals that depend on refcounts (a narrower width) must see the repaired ones.
            plan = Validate(path, options);
        }
        cancellationToken.ThrowIfCancellationRequested();

        var steps = new ProgressSteps(progress, plan.Operations);
        using (var file = AmendFile.Open(path, checkpoint))
        {
            if (plan.Upgrade)
            {
                Upgrade(file);
                steps.Next();
                cancellationToken.ThrowIfCancellationRequested();
            }
            if (plan.RefcountOrder is { } order)
            {
                var header = file.ReadHeader();
                RefcountOrderChange.Run(file, header, order, steps.Report);
                steps.Next();
                cancellationToken.ThrowIfCancellationRequested();
            }
            ApplyHeaderOptions(file, options);
        }
        if (plan.Resize is { } size)
        {
            using var image = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite });
            try
            {
                image.Resize(size, allowShrink: true, cancellationToken);
            }
            catch (InvalidOperationException ex)
            {
                throw new QcowOptionsException(ex.Message, ex);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (plan.Downgrade)
        {
            using var file = AmendFile.Open(path, checkpoint);
            ZeroClusterExpansion.Run(file, steps.Report, cancellationToken);
            Downgrade(file);
            steps.Next();
        }
        steps.Finish();
    }

    /// <summary>What the amend will do, decided before anything is written.</summary>
    private sealed record Plan(bool Dirty, bool Upgrade, int? RefcountOrder, long? Resize, bool Downgrade)
    {
        public int Operations => (Upgrade ? 1 : 0) + (RefcountOrder is null ? 0 : 1) + (Downgrade ? 1 : 0);
    }

    private static Plan Validate(string path, QcowAmendOptions options)
    {
        using var file = AmendFile.Open(path);
        return Validate(file, file.ReadHeader(), options);
    }

    private static Plan Validate(AmendFile file, QcowHeader h, QcowAmendOptions o)
    {
        if (h.IsCorrupt)
        {
            throw new QcowFormatException("incompatible_features", HeaderFieldOffsets.IncompatibleFeatures,
                "the image is marked corrupt (bit 1); it cannot be opened read/write, so it cannot be amended");
        }
        if (h.CryptMethod != 0)
        {
            throw new QcowFormatException("crypt_method", HeaderFieldOffsets.CryptMethod,
                $"encryption is not supported (crypt_method {h.CryptMethod}); QcowKit cannot amend encrypted images");
        }
        var oldVersion = (int)h.Version;
        var newVersion = o.Compat is { } compat ? (int)compat : oldVersion;
        var refcountBits = o.RefcountBits ?? h.RefcountBits;
        if (o.DataFile is not null && !h.HasExternalDataFile)
        {
            throw new QcowOptionsException("data-file can only be set for images that use an external data file");
        }
        if (o.DataFile is { Length: > 0 } dataFile)
        {
            // The header is rewritten with the new name after other steps ran: make sure it fits now.
            var trial = file.ReadHeader();
            trial.ExternalDataFile = dataFile;
            trial.FeatureNameTable = [];
            try
            {
                trial.Write(new byte[trial.ClusterSize]);
            }
            catch (InvalidOperationException ex)
            {
                throw new QcowOptionsException("Failed to update the image header: the data file name does not fit in the header cluster", ex);
            }
        }
        if (o.DataFileRaw == true && !h.DataFileIsRaw)
        {
            throw new QcowOptionsException("data-file-raw cannot be set on existing images");
        }
        if (refcountBits != h.RefcountBits && newVersion < 3 && refcountBits != 16)
        {
            throw new QcowOptionsException("Refcount widths other than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
        }
        if ((o.BackingFile is not null || o.BackingFormat is not null)
            && (!string.Equals(o.BackingFile, h.BackingFile, StringComparison.Ordinal) || !string.Equals(o.BackingFormat, h.BackingFormat, StringComparison.Ordinal)))
        {
            throw new QcowOptionsException("Cannot amend the backing file\nYou can use 'qemu-img rebase' instead.");
        }
        if (o.LazyRefcounts == true && !h.HasLazyRefcounts && newVersion < 3)
        {
            throw new QcowOptionsException("Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
        }
        long? resize = null;
        if (o.Size is { } size and > 0)
        {
            var rounded = (size + 511) & ~511L;
            var entries = QcowHeader.RequiredL1EntriesFor((ulong)rounded, h.ClusterBits, h.L2Bits);
            if (entries > QcowLimits.MaxL1SizeBytes / 8)
            {
                throw new QcowOptionsException("The image size is too large for file format 'qcow2' (try using a larger cluster size)");
            }
            resize = size;
            if (rounded < (long)h.Size)
            {
                RefuseShrinkOverData(file.Path, rounded);
            }
        }
        var downgrade = newVersion < oldVersion;
        if (downgrade)
        {
            ValidateDowngrade(file, h, refcountBits, resize);
        }
        int? newOrder = null;
        if (refcountBits != h.RefcountBits)
        {
            newOrder = System.Numerics.BitOperations.Log2((uint)refcountBits);
            if (!h.IsDirty)
            {
                // A dirty image's refcounts are stale: this is checked again after the repair.
                RefcountOrderChange.RefuseNarrowing(file, h, newOrder.Value);
            }
        }
        return new Plan(h.IsDirty, newVersion > oldVersion, newOrder, resize, downgrade);
    }

    /// <summary>qcow2_downgrade's refusals, in its order.</summary>
    private static void ValidateDowngrade(AmendFile file, QcowHeader h, int refcountBits, long? resize)
    {
        if (refcountBits != 16)
        {
            throw new QcowOptionsException("compat=0.10 requires refcount_bits=16");
        }
        if (h.HasExternalDataFile)
        {
            throw new QcowOptionsException("Cannot downgrade an image with a data file");
        }
        var finalSize = resize is { } r ? (ulong)((r + 511) & ~511L) : h.Size;
        foreach (var snapshot in SnapshotTableEntry.ReadTable(file.Handle, file.Length, h.SnapshotsOffset, h.NbSnapshots))
        {
            if (snapshot.EffectiveVmStateSize > uint.MaxValue || (snapshot.DiskSize ?? h.Size) != finalSize)
            {
                throw new QcowOptionsException("Internal snapshots prevent downgrade of image");
            }
        }
        var blocking = h.IncompatibleFeatures & ~(IncompatibleFeatures.CompressionType | IncompatibleFeatures.Dirty);
        if (blocking != IncompatibleFeatures.None)
        {
            throw new QcowOptionsException(string.Create(CultureInfo.InvariantCulture, $"Cannot downgrade an image with incompatible features 0x{(ulong)blocking:x} set"));
        }
        if (h.CompressionType != CompressionType.Deflate && ZeroClusterExpansion.HasCompressedClusters(file, h))
        {
            throw new QcowOptionsException("Cannot downgrade an image with zstd compression type and existing compressed clusters");
        }
        if (h.Bitmaps is not null)
        {
            // qemu 7.2 keeps the bitmaps extension but clears the autoclear bit that validates it, so the next
            // open drops the bitmaps and leaks their clusters; QcowKit refuses rather than write a leaking image.
            throw new QcowOptionsException("Cannot downgrade an image with persistent bitmaps (compat=0.10 cannot keep them); remove them first");
        }
    }

    /// <summary>
    /// The resize that amend delegates to shrinks only when no cluster past the new end is allocated (qemu would
    /// discard them): refuse here, before any other step writes.
    /// </summary>
    private static void RefuseShrinkOverData(string path, long size)
    {
        // The amend holds the image for writing already; this read beside it must not count as another user.
        using var image = QcowImage.Open(path, new QcowOpenOptions { ForceShare = true });
        var firstCluster = (size + image.ClusterSize - 1) / image.ClusterSize * image.ClusterSize;
        if (firstCluster >= image.VirtualSize)
        {
            return;
        }
        foreach (var range in image.GetAllocationMap(firstCluster, image.VirtualSize - firstCluster))
        {
            if (range.Depth == 0 && range.Present)
            {
                throw new QcowOptionsException(string.Create(CultureInfo.InvariantCulture,
                    $"Cannot shrink to {size} bytes: guest cluster at {range.Start} is allocated (discard it first)"));
            }
        }
    }

    /// <summary>As qemu opening a dirty image read-write: repair the refcounts (check -r all), which also clears the dirty bit.</summary>
    private static void RepairDirty(string path)
    {
        var result = QcowChecker.Check(path, new QcowCheckOptions { Repair = QcowRepairMode.All });
        if (!result.Completed || result.CheckErrors != 0 || result.Corruptions != 0)
        {
            throw new QcowOptionsException("Could not repair dirty image");
        }
    }

    /// <summary>
    /// qcow2_upgrade: v3 needs every snapshot entry to carry the 64-bit VM state size and the disk size, so an
    /// older table is rewritten first; then the header becomes version 3 with qemu's feature name table.
    /// </summary>
    private static void Upgrade(AmendFile file)
    {
        var h = file.ReadHeader();
        SnapshotTableUpgrade.Run(file, h);
        h = file.ReadHeader();
        h.Version = 3;
        h.IncompatibleFeatures = IncompatibleFeatures.None;
        h.CompatibleFeatures = CompatibleFeatures.None;
        h.AutoclearFeatures = AutoclearFeatures.None;
        h.RefcountOrder = 4;
        h.CompressionType = CompressionType.Deflate;
        h.UnknownHeaderFields = [];
        h.FeatureNameTable = [.. FeatureNameTableEntry.QemuDefaults];
        file.WriteHeader(h);
    }

    /// <summary>data_file_raw, data_file and lazy_refcounts: header-only changes (the image is clean by now).</summary>
    private static void ApplyHeaderOptions(AmendFile file, QcowAmendOptions o)
    {
        if (o.DataFileRaw is null && o.DataFile is null && o.LazyRefcounts is null)
        {
            return;
        }
        var h = file.ReadHeader();
        var changed = false;
        if (o.DataFileRaw == false && h.DataFileIsRaw)
        {
            h.AutoclearFeatures &= ~AutoclearFeatures.RawExternalData;
            changed = true;
        }
        if (o.DataFile is { } name)
        {
            h.ExternalDataFile = name.Length == 0 ? null : name;
            changed = true;
        }
        if (o.LazyRefcounts is { } lazy && lazy != h.HasLazyRefcounts)
        {
            h.CompatibleFeatures = lazy ? h.CompatibleFeatures | CompatibleFeatures.LazyRefcounts : h.CompatibleFeatures & ~CompatibleFeatures.LazyRefcounts;
            changed = true;
        }
        if (changed)
        {
            file.WriteHeader(h);
        }
    }

    /// <summary>qcow2_downgrade's last step, once zero clusters are expanded: a version 2 header without v3 fields or feature table.</summary>
    private static void Downgrade(AmendFile file)
    {
        var h = file.ReadHeader();
        h.Version = CompatibleDowngradeVersion;
        h.IncompatibleFeatures = IncompatibleFeatures.None;
        h.CompatibleFeatures = CompatibleFeatures.None;
        h.AutoclearFeatures = AutoclearFeatures.None;
        h.CompressionType = CompressionType.Deflate;
        h.UnknownHeaderFields = [];
        h.FeatureNameTable = [];
        file.WriteHeader(h);
    }

    /// <summary>Turns per-operation fractions into overall progress.</summary>
    private sealed class ProgressSteps(IProgress<QcowAmendProgress>? progress, int operations)
    {
        private const long UnitsPerOperation = 1000;
        private readonly long _total = Math.Max(1, operations) * UnitsPerOperation;
        private long _completed;

        public void Report(double fraction) =>
            progress?.Report(new QcowAmendProgress(Math.Min(_total, _completed + (long)(Math.Clamp(fraction, 0, 1) * UnitsPerOperation)), _total));

        public void Next()
        {
            _completed = Math.Min(_total, _completed + UnitsPerOperation);
            progress?.Report(new QcowAmendProgress(_completed, _total));
        }

        public void Finish() => progress?.Report(new QcowAmendProgress(_total, _total));
    }
}
