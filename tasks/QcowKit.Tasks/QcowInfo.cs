using System.Globalization;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QcowKit.Image;

namespace QcowKit.Tasks;

/// <summary>
/// Reads what <c>qemu-img info</c> reports about a qcow2 image and returns it as task outputs for later
/// targets. Opens the image read-only; never writes.
/// </summary>
/// <example>
/// <code>
/// &lt;QcowInfo Image="disk.qcow2"&gt;
///   &lt;Output TaskParameter="VirtualSize" PropertyName="DiskSize" /&gt;
/// &lt;/QcowInfo&gt;
/// </code>
/// </example>
public sealed class QcowInfo : QcowTask
{
    /// <summary>The image to describe.</summary>
    [Required]
    public ITaskItem Image { get; set; } = null!;

    /// <summary>Open nothing but the image itself (no backing chain, no external data file).</summary>
    public bool Untrusted { get; set; }

    /// <summary>
    /// qemu-img info's <c>-U</c>: read the image even while another process (a running VM, qemu-io, qemu-nbd) writes it.
    /// Without it such an image fails with QCOW1008 and qemu's <c>Failed to get shared "write" lock</c>.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>Always <c>qcow2</c> (qemu's <c>format</c>).</summary>
    [Output]
    public string Format { get; private set; } = "";

    /// <summary>Guest disk size in bytes (<c>virtual-size</c>).</summary>
    [Output]
    public long VirtualSize { get; private set; }

    /// <summary>Cluster size in bytes (<c>cluster-size</c>).</summary>
    [Output]
    public int ClusterSize { get; private set; }

    /// <summary>Bytes the image occupies on the host file system (<c>actual-size</c>); empty when unknown.</summary>
    [Output]
    public string ActualSize { get; private set; } = "";

    /// <summary><c>0.10</c> (version 2) or <c>1.1</c> (version 3).</summary>
    [Output]
    public string Compat { get; private set; } = "";

    /// <summary>The qcow2 header version, 2 or 3.</summary>
    [Output]
    public int Version { get; private set; }

    /// <summary>The backing file name as stored (<c>backing-filename</c>); empty without one.</summary>
    [Output]
    public string BackingFile { get; private set; } = "";

    /// <summary>The backing file name resolved against the image's folder (<c>full-backing-filename</c>).</summary>
    [Output]
    public string FullBackingFile { get; private set; } = "";

    /// <summary>The backing file's format (<c>backing-filename-format</c>).</summary>
    [Output]
    public string BackingFormat { get; private set; } = "";

    /// <summary>The dirty bit (<c>dirty-flag</c>).</summary>
    [Output]
    public bool Dirty { get; private set; }

    /// <summary>The corrupt bit (format-specific <c>corrupt</c>).</summary>
    [Output]
    public bool Corrupt { get; private set; }

    /// <summary><c>zlib</c> or <c>zstd</c>.</summary>
    [Output]
    public string CompressionType { get; private set; } = "";

    /// <summary>Lazy refcounts (<c>lazy-refcounts</c>).</summary>
    [Output]
    public bool LazyRefcounts { get; private set; }

    /// <summary>Refcount width (<c>refcount-bits</c>).</summary>
    [Output]
    public int RefcountBits { get; private set; }

    /// <summary>Extended L2 entries with subclusters (<c>extended-l2</c>).</summary>
    [Output]
    public bool ExtendedL2 { get; private set; }

    /// <summary>The external data file name as stored (<c>data-file</c>); empty without one.</summary>
    [Output]
    public string DataFile { get; private set; } = "";

    /// <summary>The external data file is a raw image of the guest (<c>data-file-raw</c>).</summary>
    [Output]
    public bool DataFileRaw { get; private set; }

    /// <summary>Internal snapshots: item spec is the name; metadata Id, VmStateSize, Date (ISO 8601), VmClockNanoseconds.</summary>
    [Output]
    public ITaskItem[] Snapshots { get; private set; } = [];

    /// <summary>Persistent bitmaps: item spec is the name; metadata Granularity and Flags (e.g. <c>in-use;auto</c>).</summary>
    [Output]
    public ITaskItem[] Bitmaps { get; private set; } = [];

    /// <inheritdoc />
    protected override void Run()
    {
        var path = Image.GetMetadata("FullPath");
        if (!ImageFile.Exists(this, path)) return;
        QcowImageInfo info;
        try
        {
            using var image = QcowImage.Open(path, new QcowOpenOptions
            {
                ExternalFiles = Untrusted ? ExternalFilePolicy.Never : ExternalFilePolicy.Open,
                ForceShare = ForceShare,
                // Locked as qemu-img info locks: others may read the image meanwhile but not write it.
                InspectOnly = true,
            });
            info = image.GetInfo();
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            ImageFile.LogOpenFailure(this, path, exception);
            return;
        }

        Format = QemuNames.Name(info.Format);
        VirtualSize = info.VirtualSize;
        ClusterSize = info.ClusterSize;
        ActualSize = info.ActualSize?.ToString(CultureInfo.InvariantCulture) ?? "";
        Compat = QemuNames.Name(info.Compat);
        Version = info.Version;
        BackingFile = info.BackingFileName ?? "";
        FullBackingFile = info.FullBackingFileName ?? "";
        BackingFormat = info.BackingFileFormat ?? "";
        Dirty = info.DirtyFlag;
        Corrupt = info.Corrupt;
        CompressionType = QemuNames.Name(info.CompressionType);
        LazyRefcounts = info.LazyRefcounts;
        RefcountBits = info.RefcountBits;
        ExtendedL2 = info.ExtendedL2;
        DataFile = info.DataFile ?? "";
        DataFileRaw = info.DataFileRaw;
        Snapshots = [.. info.Snapshots.Select(s =>
        {
            var item = new TaskItem(s.Name);
            item.SetMetadata("Id", s.Id);
            item.SetMetadata("VmStateSize", s.VmStateSize.ToString(CultureInfo.InvariantCulture));
            item.SetMetadata("Date", s.Date.ToString("o", CultureInfo.InvariantCulture));
            item.SetMetadata("VmClockNanoseconds", s.VmClockNanoseconds.ToString(CultureInfo.InvariantCulture));
            return (ITaskItem)item;
        })];
        Bitmaps = [.. info.Bitmaps.Select(b =>
        {
            var item = new TaskItem(b.Name);
            item.SetMetadata("Granularity", b.Granularity.ToString(CultureInfo.InvariantCulture));
            item.SetMetadata("Flags", string.Join(';', b.Flags));
            return (ITaskItem)item;
        })];
        Log.LogMessageFromResources(MessageImportance.Normal, "InfoSummary", path, Compat, VirtualSize, ClusterSize, BackingFile);
    }
}
