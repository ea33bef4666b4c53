using Microsoft.Build.Framework;
using QcowKit.Image;

namespace QcowKit.Tasks;

/// <summary>
/// Creates a qcow2 image as <c>qemu-img create -f qcow2 [-o OPTIONS] IMAGE SIZE</c> does, with the same
/// option names and refusals. <see cref="Image"/> is also an output, so a target can add it to
/// <c>FileWrites</c> (and MSBuild infers it when the target is skipped as up to date).
/// </summary>
/// <example>
/// <code>
/// &lt;QcowCreate Image="$(IntermediateOutputPath)disk.qcow2" Size="1G" ClusterSize="64k"&gt;
///   &lt;Output TaskParameter="Image" ItemName="FileWrites" /&gt;
/// &lt;/QcowCreate&gt;
/// </code>
/// </example>
public sealed class QcowCreate : QcowTask
{
    /// <summary>The image to create; an existing file is replaced, as qemu-img create does.</summary>
    [Required]
    [Output]
    public ITaskItem Image { get; set; } = null!;

    /// <summary>Virtual size: bytes or a number with k, M, G, T, P, E (optional when <see cref="BackingFile"/> is set).</summary>
    public string? Size { get; set; }

    /// <summary>A qemu-img option list (<c>-o</c>), e.g. <c>cluster_size=2M,lazy_refcounts=on</c>; the parameters below override it.</summary>
    public string? Options { get; set; }

    /// <summary><c>compat</c>: <c>1.1</c> (default) or <c>0.10</c>.</summary>
    public string? Compat { get; set; }

    /// <summary><c>cluster_size</c>: a power of two from 512 to 2M (default 64k).</summary>
    public string? ClusterSize { get; set; }

    /// <summary><c>refcount_bits</c>: 1, 2, 4, 8, 16 (default), 32 or 64.</summary>
    public string? RefcountBits { get; set; }

    /// <summary><c>extended_l2</c>: 32 subclusters per cluster.</summary>
    public string? ExtendedL2 { get; set; }

    /// <summary><c>lazy_refcounts</c>.</summary>
    public string? LazyRefcounts { get; set; }

    /// <summary><c>compression_type</c>: <c>zlib</c> or <c>zstd</c>.</summary>
    public string? CompressionType { get; set; }

    /// <summary><c>preallocation</c>: off, metadata, falloc or full.</summary>
    public string? Preallocation { get; set; }

    /// <summary><c>backing_file</c> (qemu-img's <c>-b</c>).</summary>
    public string? BackingFile { get; set; }

    /// <summary><c>backing_fmt</c> (qemu-img's <c>-F</c>): qcow2 or raw; required with a backing file.</summary>
    public string? BackingFormat { get; set; }

    /// <summary><c>data_file</c>: an external data file, created next to the image.</summary>
    public string? DataFile { get; set; }

    /// <summary><c>data_file_raw</c>.</summary>
    public string? DataFileRaw { get; set; }

    /// <summary>qemu-img create's <c>-u</c>: do not open <see cref="BackingFile"/> (it may not exist yet); <see cref="Size"/> is then required.</summary>
    public bool UnsafeBacking { get; set; }

    /// <inheritdoc />
    protected override void Run()
    {
        var path = Image.GetMetadata("FullPath");
        QcowCreateOptions options;
        try
        {
            options = CreateOptionParameters.Build(Options, Size,
            [
                ("compat", Compat), ("cluster_size", ClusterSize), ("refcount_bits", RefcountBits),
                ("extended_l2", ExtendedL2), ("lazy_refcounts", LazyRefcounts), ("compression_type", CompressionType),
                ("preallocation", Preallocation), ("backing_file", BackingFile), ("backing_fmt", BackingFormat),
                ("data_file", DataFile), ("data_file_raw", DataFileRaw),
            ]);
            options.Unsafe = UnsafeBacking;
        }
        catch (QcowOptionsException exception)
        {
            LogErrorFor(path, "InvalidCreateOptions", path, exception.Message);
            return;
        }

        CancellationToken.ThrowIfCancellationRequested();
        var folder = Path.GetDirectoryName(path);
        long virtualSize;
        int clusterSize;
        try
        {
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            using var image = QcowImage.Create(path, options, CancellationToken);
            virtualSize = image.VirtualSize;
            clusterSize = image.ClusterSize;
        }
        catch (QcowOptionsException exception)
        {
            LogErrorFor(path, "InvalidCreateOptions", path, exception.Message);
            return;
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            if (!ImageFile.LogIfLocked(this, exception)) LogErrorFor(path, "CreateFailed", path, exception.Message);
            return;
        }
        Log.LogMessageFromResources(MessageImportance.Normal, "Created", path, virtualSize, clusterSize);
    }
}
