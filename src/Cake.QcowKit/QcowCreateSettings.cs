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
    /// <summary>
    /// The engine's create options themselves, typed and named as in the library (<see cref="QcowCreateOptions"/>):
    /// size, compat, cluster size, refcount width, extended L2, lazy refcounts, compression type, preallocation,
    /// backing file and format, data file. The <c>With</c> methods set them fluently.
    /// </summary>
    public QcowCreateOptions CreateOptions { get; } = new();

    /// <summary>A qemu option list (<c>key=value,...</c> as after <c>qemu-img create -o</c>) applied over the properties above.</summary>
    public string? Options { get; set; }

    /// <summary>Sets <see cref="QcowCreateOptions.Size"/> in bytes.</summary>
    public QcowCreateSettings WithSize(long bytes)
    {
        CreateOptions.Size = bytes;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.Size"/> from qemu's size syntax (<c>512</c>, <c>64M</c>, <c>10G</c>, <c>1.5T</c>).</summary>
    public QcowCreateSettings WithSize(string size)
    {
        CreateOptions.Size = QemuSize.ParseImageSize(size);
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.Compat"/>.</summary>
    public QcowCreateSettings WithCompat(QcowCompat compat)
    {
        CreateOptions.Compat = compat;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.ClusterSize"/>.</summary>
    public QcowCreateSettings WithClusterSize(int bytes)
    {
        CreateOptions.ClusterSize = bytes;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.RefcountBits"/>.</summary>
    public QcowCreateSettings WithRefcountBits(int bits)
    {
        CreateOptions.RefcountBits = bits;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.ExtendedL2"/>.</summary>
    public QcowCreateSettings WithExtendedL2(bool extendedL2 = true)
    {
        CreateOptions.ExtendedL2 = extendedL2;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.LazyRefcounts"/>.</summary>
    public QcowCreateSettings WithLazyRefcounts(bool lazyRefcounts = true)
    {
        CreateOptions.LazyRefcounts = lazyRefcounts;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.CompressionType"/>.</summary>
    public QcowCreateSettings WithCompression(CompressionType compressionType)
    {
        CreateOptions.CompressionType = compressionType;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.Preallocation"/>.</summary>
    public QcowCreateSettings WithPreallocation(QcowPreallocation preallocation)
    {
        CreateOptions.Preallocation = preallocation;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.BackingFile"/> and <see cref="QcowCreateOptions.BackingFormat"/>.</summary>
    public QcowCreateSettings WithBackingFile(string backingFile, string format = "qcow2")
    {
        CreateOptions.BackingFile = backingFile;
        CreateOptions.BackingFormat = format;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.Unsafe"/>: qemu-img create's <c>-u</c>, the backing file is not opened.</summary>
    /// <param name="unsafeBacking">Whether to skip opening the backing file.</param>
    /// <returns>These settings.</returns>
    public QcowCreateSettings WithUnsafeBacking(bool unsafeBacking = true)
    {
        CreateOptions.Unsafe = unsafeBacking;
        return this;
    }

    /// <summary>Sets <see cref="QcowCreateOptions.DataFile"/> and <see cref="QcowCreateOptions.DataFileRaw"/>.</summary>
    public QcowCreateSettings WithDataFile(string dataFile, bool raw = false)
    {
        CreateOptions.DataFile = dataFile;
        CreateOptions.DataFileRaw = raw;
        return this;
    }

    /// <summary>Sets <see cref="Options"/>, a qemu <c>-o</c> list.</summary>
    public QcowCreateSettings WithOptions(string optionList)
    {
        Options = optionList;
        return this;
    }

    /// <summary>The engine's options for these settings; qemu's option list last, as qemu-img applies -o over defaults.</summary>
    internal QcowCreateOptions ToOptions() =>
        CreateOptions.WithOptionList(string.IsNullOrEmpty(Options) ? null : Options);
}
