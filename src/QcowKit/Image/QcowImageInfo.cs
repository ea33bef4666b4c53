using QcowKit.Format;

namespace QcowKit.Image;

/// <summary>
/// What <c>qemu-img info --output=json</c> reports about a qcow2 image; property names map to its
/// keys (virtual-size, cluster-size, dirty-flag, format-specific.data.*).
/// </summary>
public sealed class QcowImageInfo
{
    /// <summary>The file name as given (qemu's <c>filename</c>).</summary>
    public required string FileName { get; init; }

    /// <summary>Always <see cref="QcowImageFormat.Qcow2"/> (qemu's <c>format</c>; <see cref="QemuNames.Name(QcowImageFormat)"/> gives the name).</summary>
    public QcowImageFormat Format { get; } = QcowImageFormat.Qcow2;

    /// <summary>virtual-size.</summary>
    public required long VirtualSize { get; init; }

    /// <summary>cluster-size.</summary>
    public required int ClusterSize { get; init; }

    /// <summary>actual-size: bytes allocated on the host file system for the image file (not its external data file, as qemu 7.2), when known.</summary>
    public long? ActualSize { get; init; }

    /// <summary>dirty-flag.</summary>
    public required bool DirtyFlag { get; init; }

    /// <summary>backing-filename: the backing file name as stored.</summary>
    public string? BackingFileName { get; init; }

    /// <summary>full-backing-filename: the backing file name resolved against the image's folder.</summary>
    public string? FullBackingFileName { get; init; }

    /// <summary>backing-filename-format: the backing format extension.</summary>
    public string? BackingFileFormat { get; init; }

    /// <summary>format-specific compat: <see cref="QcowCompat.V2"/> ("0.10") or <see cref="QcowCompat.V3"/> ("1.1"); <see cref="QemuNames.Name(QcowCompat)"/> gives qemu's name.</summary>
    public required QcowCompat Compat { get; init; }

    /// <summary>The qcow2 version (2 or 3).</summary>
    public required int Version { get; init; }

    /// <summary>format-specific compression-type; <see cref="QemuNames.Name(Format.CompressionType)"/> gives qemu's name ("zlib" or "zstd").</summary>
    public required CompressionType CompressionType { get; init; }

    /// <summary>format-specific lazy-refcounts.</summary>
    public required bool LazyRefcounts { get; init; }

    /// <summary>format-specific refcount-bits.</summary>
    public required int RefcountBits { get; init; }

    /// <summary>format-specific corrupt.</summary>
    public required bool Corrupt { get; init; }

    /// <summary>format-specific extended-l2.</summary>
    public required bool ExtendedL2 { get; init; }

    /// <summary>format-specific data-file: the external data file name as stored, or null.</summary>
    public string? DataFile { get; init; }

    /// <summary>format-specific data-file-raw (meaningful only with an external data file).</summary>
    public required bool DataFileRaw { get; init; }

    /// <summary>
    /// The external data file bit is set (qemu shows <c>data-file-raw</c> then, even when the image names
    /// no data file and <see cref="DataFile"/> is null).
    /// </summary>
    public bool HasExternalDataFile { get; init; }

    /// <summary>The image is encrypted (such images cannot be opened; kept for completeness).</summary>
    public bool Encrypted { get; init; }

    /// <summary>Raw incompatible feature bits.</summary>
    public required IncompatibleFeatures IncompatibleFeatures { get; init; }

    /// <summary>Raw compatible feature bits.</summary>
    public required CompatibleFeatures CompatibleFeatures { get; init; }

    /// <summary>Raw autoclear feature bits.</summary>
    public required AutoclearFeatures AutoclearFeatures { get; init; }

    /// <summary>format-specific bitmaps.</summary>
    public required IReadOnlyList<QcowBitmapInfo> Bitmaps { get; init; }

    /// <summary>snapshots.</summary>
    public required IReadOnlyList<QcowSnapshotInfo> Snapshots { get; init; }
}
