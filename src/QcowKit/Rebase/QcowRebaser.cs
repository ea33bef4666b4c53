using QcowKit.Format;
using QcowKit.Image;
using QcowKit.Image.Writing;

namespace QcowKit.Rebase;

/// <summary>
/// <c>qemu-img rebase</c>: changes a qcow2 image's backing file. The safe mode first copies into the image every
/// cluster (subcluster on extended-L2 images) it does not allocate itself whose contents differ between the old
/// and the new backing chain, so the guest reads the same bytes before and after; <c>-u</c> only renames.
/// The header is rewritten last, so an interruption leaves the old backing file with a guest view that has not changed.
/// </summary>
public static class QcowRebaser
{
    /// <summary>Guest bytes compared at a time.</summary>
    private const int ChunkBytes = 2 * 1024 * 1024;

    /// <summary>Rebases <paramref name="imagePath"/> onto <see cref="QcowRebaseOptions.BackingFile"/>.</summary>
    /// <exception cref="QcowOptionsException">qemu-img's refusals: no backing file in safe mode, no backing format, an image that is not qcow2.</exception>
    /// <exception cref="QcowException">The image or a backing file cannot be opened or read, or another process holds one.</exception>
    public static void Rebase(string imagePath, QcowRebaseOptions options, IProgress<QcowRebaseProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        ArgumentNullException.ThrowIfNull(options);
        var name = options.BackingFile ?? "";
        if (!options.Unsafe && options.BackingFile is null)
        {
            throw new QcowOptionsException("Must specify backing file (-b) or use unsafe mode (-u)");
        }
        var format = options.ImageFormat is { } given ? QemuNames.Name(given) : VirtualDisk.Probe(imagePath);
        if (format != "qcow2")
        {
            if (!options.Unsafe && name.Length > 0 && options.BackingFormat is not null)
            {
                // qemu-img opens the new backing file first, so a missing one is what it reports.
                OpenNewBacking(imagePath, name, options).Dispose();
            }
            throw new QcowOptionsException($"Could not change the backing file to '{name}': Operation not supported");
        }
        if (name.Length > 0 && options.BackingFormat is null)
        {
            // qemu-img copies first and only then finds the format missing; refusing first leaves the image untouched.
            throw new QcowOptionsException($"Could not change the backing file to '{name}': backing format must be specified");
        }
        using var image = QcowImage.Open(imagePath, new QcowOpenOptions
        {
            Access = FileAccess.ReadWrite,
            // Renaming needs nothing but the image: qemu-img rebase -u works while the old backing file is missing.
            ExternalFiles = options.Unsafe ? ExternalFilePolicy.Never : ExternalFilePolicy.Open,
        });
        if (!options.Unsafe)
        {
            using var newBacking = name.Length == 0 ? null : OpenNewBacking(image.FileName, name, options);
            CopyDifferences(image, newBacking, progress, cancellationToken);
        }
        cancellationToken.ThrowIfCancellationRequested();
        ChangeBackingFile(image, name, name.Length == 0 ? null : options.BackingFormat);
    }

    private static IVirtualDisk OpenNewBacking(string imagePath, string name, QcowRebaseOptions options)
    {
        var path = QcowImage.CombineBackingName(imagePath, name);
        if (options.BackingFormat is not ("qcow2" or "raw"))
        {
            throw new QcowOptionsException($"Could not open new backing file '{path}': QcowKit reads qcow2 and raw backing files, not '{options.BackingFormat}'");
        }
        try
        {
            return VirtualDisk.OpenNamed(path, options.BackingFormat, new QcowOpenOptions { ForceShare = options.ForceShare });
        }
        catch (IOException ex) when (ex is not QcowImageLockedException)
        {
            throw new HostFileException(path, $"Could not open new backing file '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Writes the old guest bytes into every allocation unit the image leaves to its backing chain where the new
    /// chain reads differently (beyond a backing file's end it reads zeros).
    /// </summary>
    private static void CopyDifferences(QcowImage image, IVirtualDisk? newBacking, IProgress<QcowRebaseProgress>? progress, CancellationToken cancellationToken)
    {
        var size = image.VirtualSize;
        var unit = image.Header.HasExtendedL2 ? image.Header.SubclusterSize : image.Header.ClusterSize;
        // The map is read in full first: the copies below change it.
        var inherited = image.GetAllocationMap(0, size).Where(range => !(range.Present && range.Depth == 0)).ToList();
        var oldBytes = new byte[ChunkBytes];
        var newBytes = new byte[ChunkBytes];
        var done = 0L;
        progress?.Report(new QcowRebaseProgress(0, size));
        foreach (var range in inherited)
        {
            for (var offset = range.Start; offset < range.Start + range.Length;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var length = (int)Math.Min(ChunkBytes, range.Start + range.Length - offset);
                var oldChunk = oldBytes.AsSpan(0, length);
                var newChunk = newBytes.AsSpan(0, length);
                image.Read(offset, oldChunk);
                ReadOrZeros(newBacking, offset, newChunk);
                for (var at = 0; at < length;)
                {
                    // Units are aligned in the guest; a range starts on a unit boundary except where the image ends.
                    var end = (int)Math.Min(length, ((offset + at) / unit + 1) * unit - offset);
                    if (!oldChunk[at..end].SequenceEqual(newChunk[at..end]))
                    {
                        image.Write(offset + at, oldChunk[at..end]);
                    }
                    at = end;
                }
                offset += length;
                done += length;
                progress?.Report(new QcowRebaseProgress(done, size));
            }
        }
        image.Flush();
        progress?.Report(new QcowRebaseProgress(size, size));
    }

    private static void ReadOrZeros(IVirtualDisk? disk, long offset, Span<byte> destination)
    {
        destination.Clear();
        if (disk is null || offset >= disk.VirtualSize) return;
        disk.Read(offset, destination[..(int)Math.Min(destination.Length, disk.VirtualSize - offset)]);
    }

    /// <summary>Rewrites the header cluster with the new backing file name and format, after everything it protects is on disk.</summary>
    private static void ChangeBackingFile(QcowImage image, string name, string? format)
    {
        var header = image.Header;
        header.BackingFile = name.Length == 0 ? null : name;
        header.BackingFormat = format;
        byte[] cluster;
        try
        {
            cluster = header.ToCluster();
        }
        catch (InvalidOperationException ex)
        {
            throw new QcowOptionsException($"Could not change the backing file to '{name}': the name does not fit in the header cluster", ex);
        }
        HostIo.Flush(image.ImageFile, image.Options.WriteObserver);
        HostIo.Write(image.ImageFile, cluster, 0, image.Options.WriteObserver);
        HostIo.Flush(image.ImageFile, image.Options.WriteObserver);
    }
}
