using System.Numerics;
using QcowKit.Image;

namespace QcowKit.Measure;

/// <summary>
/// <c>qemu-img measure</c>: how large a file converting an image (or creating one of a given size) would need,
/// with qemu 7.2's figures for the same inputs, so a pipeline can size a volume before it converts.
/// </summary>
public static class QcowMeasurer
{
    /// <summary>The formats qemu knows that cannot be measured (qemu-img names them in its refusal).</summary>
    private static readonly string[] QemuFormatsWithoutMeasure =
        ["blkdebug", "blklogwrites", "blkverify", "bochs", "cloop", "compress", "copy-before-write", "copy-on-read", "dmg",
         "file", "ftp", "ftps", "host_cdrom", "host_device", "http", "https", "nbd", "null-aio", "null-co", "nvme", "parallels",
         "preallocate", "qcow", "qed", "quorum", "replication", "snapshot-access", "throttle", "vdi", "vhdx", "vmdk", "vpc", "vvfat"];

    /// <summary>Measures converting <paramref name="sourcePath"/>, or creating an image of <see cref="QcowMeasureOptions.Size"/> when it is null.</summary>
    /// <exception cref="QcowOptionsException">With qemu-img's message: both or neither of a source and a size, an unknown format, bad options.</exception>
    /// <exception cref="QcowException">The source cannot be opened or read.</exception>
    public static QcowMeasurement Measure(string? sourcePath, QcowMeasureOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (sourcePath is not null && options.Size is not null)
        {
            throw new QcowOptionsException("--size N cannot be used together with a filename.");
        }
        if (sourcePath is null && options.Size is null)
        {
            throw new QcowOptionsException("Either --size N or one filename must be specified.");
        }
        if (options.Size is < 0)
        {
            throw new QcowOptionsException(QemuSize.SizeRangeMessage);
        }
        // qemu-img opens the source before it looks at the output format.
        using var source = sourcePath is null ? null : VirtualDisk.Open(sourcePath, options.SourceFormat,
            new QcowOpenOptions { ForceShare = options.ForceShare });
        return options.OutputFormat switch
        {
            "qcow2" => MeasureQcow2(source, MeasureTarget.Parse(options.OptionList, "qcow2"), options.Size ?? 0, cancellationToken),
            "raw" => MeasureRaw(source, MeasureTarget.Parse(options.OptionList, "raw"), options.Size ?? 0),
            "luks" => throw new QcowOptionsException("QcowKit does not measure luks images (it does not write encrypted images)"),
            var other when QemuFormatsWithoutMeasure.Contains(other, StringComparer.Ordinal) =>
                throw new QcowOptionsException($"Block driver '{other}' does not support size measurement"),
            var other => throw new QcowOptionsException($"Unknown file format '{other}'"),
        };
    }

    /// <summary>qemu's raw_measure: the source's virtual size, or the size rounded up to whole sectors; every byte counts.</summary>
    private static QcowMeasurement MeasureRaw(IVirtualDisk? source, MeasureTarget target, long size)
    {
        _ = target;
        var required = source?.VirtualSize ?? (long)RoundUp((ulong)size, 512);
        return new QcowMeasurement(required, required, null);
    }

    /// <summary>qemu's qcow2_measure.</summary>
    private static QcowMeasurement MeasureQcow2(IVirtualDisk? source, MeasureTarget target, long size, CancellationToken cancellationToken)
    {
        var clusterSize = (ulong)target.ClusterSize;
        var virtualSize = RoundUp((ulong)size, clusterSize);
        var l2EntrySize = target.ExtendedL2 ? 16UL : 8UL;
        var l2Tables = DivideRoundingUp(virtualSize / clusterSize, clusterSize / l2EntrySize);
        if (l2Tables * 8 > (ulong)QcowCreateOptions.MaxL1TableBytes)
        {
            throw new QcowOptionsException("The image size is too large (try using a larger cluster size)");
        }
        var required = 0UL;
        if (source is not null)
        {
            virtualSize = RoundUp((ulong)source.VirtualSize, clusterSize);
            // With a backing file qemu cannot know what the new image shares with it, so it counts every cluster.
            required = target.HasBackingFile ? virtualSize : DataClusters(source, clusterSize, cancellationToken) * clusterSize;
        }
        if (target.Preallocation is QcowPreallocation.Full or QcowPreallocation.Falloc)
        {
            required = virtualSize;
        }
        var fullyAllocated = PreallocatedFileSize(virtualSize, clusterSize, BitOperations.Log2((ulong)target.RefcountBits), l2EntrySize);
        long? bitmaps = target.Version >= 3 && source is QcowImage { } image && image.Header.Version >= 3
            ? (long)BitmapsSize(image, clusterSize)
            : null;
        return new QcowMeasurement(checked((long)(fullyAllocated - virtualSize + required)), checked((long)fullyAllocated), bitmaps);
    }

    /// <summary>
    /// The clusters of the new image's size that hold any data of the source (its whole chain): qemu counts each
    /// cluster where block status says data and not zero, so zero clusters, holes and unallocated ranges cost nothing.
    /// </summary>
    private static ulong DataClusters(IVirtualDisk source, ulong clusterSize, CancellationToken cancellationToken)
    {
        var count = 0UL;
        var next = 0UL;
        foreach (var range in source.GetAllocationMap(0, source.VirtualSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (range.Zero || !range.Data || range.Length == 0)
            {
                continue;
            }
            var first = Math.Max((ulong)range.Start / clusterSize, next);
            var last = ((ulong)range.Start + (ulong)range.Length - 1) / clusterSize;
            if (last >= first)
            {
                count += last - first + 1;
                next = last + 1;
            }
        }
        return count;
    }

    /// <summary>qemu's qcow2_calc_prealloc_size: header, every L2 and L1 entry a full image needs, its refcount metadata, and the data.</summary>
    private static ulong PreallocatedFileSize(ulong virtualSize, ulong clusterSize, int refcountOrder, ulong l2EntrySize)
    {
        var alignedSize = RoundUp(virtualSize, clusterSize);
        var metadata = clusterSize;
        var l2Entries = RoundUp(alignedSize / clusterSize, clusterSize / l2EntrySize);
        metadata += l2Entries * l2EntrySize;
        var l1Entries = RoundUp(l2Entries * l2EntrySize / clusterSize, clusterSize / 8);
        metadata += l1Entries * 8;
        metadata += RefcountMetadataSize((metadata + alignedSize) / clusterSize, clusterSize, refcountOrder);
        return metadata + alignedSize;
    }

    /// <summary>
    /// qemu's qcow2_refcount_metadata_size: the refcount blocks and table clusters that count every cluster,
    /// themselves included, found as the fixed point of the two counts.
    /// </summary>
    private static ulong RefcountMetadataSize(ulong clusters, ulong clusterSize, int refcountOrder)
    {
        var blocksPerTableCluster = clusterSize / 8;
        var refcountsPerBlock = clusterSize * 8 / (1UL << refcountOrder);
        ulong table = 0, blocks = 0, total = 0, last;
        do
        {
            last = total;
            blocks = DivideRoundingUp(clusters + table + blocks, refcountsPerBlock);
            table = DivideRoundingUp(blocks, blocksPerTableCluster);
            total = clusters + blocks + table;
        }
        while (total != last);
        return (blocks + table) * clusterSize;
    }

    /// <summary>qemu's qcow2_get_persistent_dirty_bitmap_size: every bitmap fully allocated, its table, and the directory.</summary>
    private static ulong BitmapsSize(QcowImage image, ulong clusterSize)
    {
        var size = 0UL;
        var directory = 0UL;
        foreach (var bitmap in image.Bitmaps)
        {
            var bits = DivideRoundingUp((ulong)image.VirtualSize, (ulong)bitmap.Granularity);
            var clusters = DivideRoundingUp(DivideRoundingUp(bits, 8), clusterSize);
            size += clusters * clusterSize;
            size += RoundUp(clusters * 8, clusterSize);
            // A directory entry: 24 fixed bytes and the name, padded to 8 (no extra data in what qemu writes).
            directory += RoundUp(24 + (ulong)System.Text.Encoding.UTF8.GetByteCount(bitmap.Name), 8);
        }
        return size + RoundUp(directory, clusterSize);
    }

    private static ulong RoundUp(ulong value, ulong alignment) => DivideRoundingUp(value, alignment) * alignment;

    private static ulong DivideRoundingUp(ulong value, ulong divisor) => value == 0 ? 0 : ((value - 1) / divisor) + 1;
}
