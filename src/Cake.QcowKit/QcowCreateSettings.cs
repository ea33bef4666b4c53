using Cake.Core.IO;
using QcowKit;
using QcowKit.Format;

namespace Cake.QcowKit;

/// <summary>
/// The options of <see cref="QcowAliases.QcowCreate(Cake.Core.ICakeContext, FilePath, QcowCreateSettings)"/>:
/// those of <c>qemu-img create -f qcow2 -o ...</c>, with qemu's defaults (compat 1.1, 64 KiB
/// clusters, 16-bit refcounts, zlib compression, no preallocation).
/// </summary>
public sealed class QcowCreateSettings
{
    /// <summary>Virtual disk size in bytes; null takes it from <see cref="BackingFile"/>.</summary>
    public long? Size { get; set; }

    /// <summary>Header version (<c>compat</c>).</summary>
    public QcowCompat Compat { get; set; } = QcowCompat.V3;

    /// <summary>Cluster size in bytes (<c>cluster_size</c>), a power of two from 512 B to 2 MiB.</summary>
    public int ClusterSize { get; set; } = 65536;

    /// <summary>Refcount width in bits (<c>refcount_bits</c>): 1, 2, 4, 8, 16, 32 or 64.</summary>
    public int RefcountBits { get; set; } = 16;

    /// <summary>Extended L2 entries with 32 subclusters per cluster (<c>extended_l2</c>).</summary>
    public bool ExtendedL2 { get; set; }

    /// <summary>Lazy refcounts (<c>lazy_refcounts</c>).</summary>
    public bool LazyRefcounts { get; set; }

    /// <summary>How compressed clusters are encoded (<c>compression_type</c>).</summary>
    public CompressionType CompressionType { get; set; } = CompressionType.Deflate;

    /// <summary>How much is allocated up front (<c>preallocation</c>).</summary>
    public QcowPreallocation Preallocation { get; set; } = QcowPreallocation.Off;

    /// <summary>Backing file (<c>backing_file</c>), stored as given: a relative path resolves against the image's folder.</summary>
    public string? BackingFile { get; set; }

    /// <summary>Backing file format (<c>backing_fmt</c>): <c>qcow2</c> or <c>raw</c>; required with a backing file.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>External data file (<c>data_file</c>), stored as given.</summary>
    public string? DataFile { get; set; }

    /// <summary>The data file is a raw image of the guest disk (<c>data_file_raw</c>).</summary>
    public bool DataFileRaw { get; set; }

    /// <summary>A qemu option list (<c>key=value,...</c> as after <c>qemu-img create -o</c>) applied over the properties above.</summary>
    public string? Options { get; set; }

    /// <summary>Sets <see cref="Size"/> in bytes.</summary>
    public QcowCreateSettings WithSize(long bytes)
    {
        Size = bytes;
        return this;
    }

    /// <summary>Sets <see cref="Size"/> from qemu's size syntax (<c>512</c>, <c>64M</c>, <c>10G</c>, <c>1.5T</c>).</summary>
    public QcowCreateSettings WithSize(string size)
    {
        Size = QemuSize.ParseImageSize(size);
        return this;
    }

    /// <summary>Sets <see cref="Compat"/>.</summary>
    public QcowCreateSettings WithCompat(QcowCompat compat)
    {
        Compat = compat;
        return this;
    }

    /// <summary>Sets <see cref="ClusterSize"/>.</summary>
    public QcowCreateSettings WithClusterSize(int bytes)
    {
        ClusterSize = bytes;
        return this;
    }

    /// <summary>Sets <see cref="RefcountBits"/>.</summary>
    public QcowCreateSettings WithRefcountBits(int bits)
    {
        RefcountBits = bits;
        return this;
    }

    /// <summary>Sets <see cref="ExtendedL2"/>.</summary>
    public QcowCreateSettings WithExtendedL2(bool extendedL2 = true)
    {
        ExtendedL2 = extendedL2;
        return this;
    }

    /// <summary>Sets <see cref="LazyRefcounts"/>.</summary>
    public QcowCreateSettings WithLazyRefcounts(bool lazyRefcounts = true)
    {
        LazyRefcounts = lazyRefcounts;
        return this;
    }

    /// <summary>Sets <see cref="CompressionType"/>.</summary>
    public QcowCreateSettings WithCompression(CompressionType compressionType)
    {
        CompressionType = compressionType;
        return this;
    }

    /// <summary>Sets <see cref="Preallocation"/>.</summary>
    public QcowCreateSettings WithPreallocation(QcowPreallocation preallocation)
    {
        Preallocation = preallocation;
        return this;
    }

    /// <summary>Sets <see cref="BackingFile"/> and <see cref="BackingFormat"/>.</summary>
    public QcowCreateSettings WithBackingFile(string backingFile, string format = "qcow2")
    {
        BackingFile = backingFile;
        BackingFormat = format;
        return this;
    }

    /// <summary>Sets <see cref="DataFile"/> and <see cref="DataFileRaw"/>.</summary>
    public QcowCreateSettings WithDataFile(string dataFile, bool raw = false)
    {
        DataFile = dataFile;
        DataFileRaw = raw;
        return this;
    }

    /// <summary>Sets <see cref="Options"/>, a qemu <c>-o</c> list.</summary>
    public QcowCreateSettings WithOptions(string optionList)
    {
        Options = optionList;
        return this;
    }

    /// <summary>The engine's options for these settings; qemu's option list last, as qemu-img applies -o over defaults.</summary>
    internal QcowCreateOptions ToOptions()
    {
        var options = new QcowCreateOptions
        {
            Size = Size,
            Compat = Compat,
            ClusterSize = ClusterSize,
            RefcountBits = RefcountBits,
            ExtendedL2 = ExtendedL2,
            LazyRefcounts = LazyRefcounts,
            CompressionType = CompressionType,
            Preallocation = Preallocation,
            BackingFile = BackingFile,
            BackingFormat = BackingFormat,
            DataFile = DataFile,
            DataFileRaw = DataFileRaw,
        };
        if (!string.IsNullOrEmpty(Options))
        {
            options.Apply(Options);
        }
        return options;
    }
}
