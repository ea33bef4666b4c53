using QcowKit.Image;

namespace QcowKit.Commit;

/// <summary>
/// <c>qemu-img commit</c>: writes what an image (and every layer between it and the base) allocates into its
/// backing file or a base further down, growing the base to the image's size; then, unless asked not to (or a base
/// was named), empties the image so it reads through to its backing file again. The base is written completely
/// before the image is emptied, so an interruption leaves every guest view as it was or the base already updated.
/// </summary>
public static class QcowCommitter
{
    private const int ChunkBytes = 2 * 1024 * 1024;

    /// <summary>Commits <paramref name="imagePath"/> into its backing chain.</summary>
    /// <exception cref="QcowOptionsException">qemu-img's refusals: no backing file, a base not in the chain.</exception>
    /// <exception cref="QcowException">An image of the chain cannot be opened, read or written, or another process holds one.</exception>
    public static void Commit(string imagePath, QcowCommitOptions options, IProgress<QcowCommitProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        ArgumentNullException.ThrowIfNull(options);
        var format = options.ImageFormat is { } given ? QemuNames.Name(given) : VirtualDisk.Probe(imagePath);
        if (format != "qcow2")
        {
            throw new QcowOptionsException("Image does not have a backing file");
        }
        // The layers above the base are opened on their own (no backing file), so that the base can be opened for writing.
        var layers = new List<QcowImage>();
        try
        {
            var (basePath, baseFormat) = OpenLayersAboveBase(imagePath, options.Base, layers);
            var total = layers.Sum(layer => layer.VirtualSize);
            var done = 0L;
            progress?.Report(new QcowCommitProgress(0, total));
            using (var target = OpenBase(basePath, baseFormat))
            {
                var size = layers[0].VirtualSize;
                if (target.VirtualSize < size)
                {
                    target.Resize(size, cancellationToken: cancellationToken);
                }
                // Ranges a layer above already wrote, sorted and disjoint: a lower layer only fills what is left.
                var covered = new List<(long Start, long End)>();
                foreach (var layer in layers)
                {
                    var allocated = layer.OwnAllocation().ToList();
                    foreach (var range in allocated)
                    {
                        foreach (var (start, end) in Uncovered(covered, range.Start, Math.Min(range.Start + range.Length, size)))
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            CopyRange(layer, target, start, end, range.Zero);
                        }
                    }
                    covered = Merge(covered, allocated.Select(r => (r.Start, r.Start + r.Length)));
                    done += layer.VirtualSize;
                    progress?.Report(new QcowCommitProgress(done, total));
                }
                target.Flush();
            }
            var drop = options.Drop || options.Base is not null;
            foreach (var layer in layers) layer.Dispose();
            layers.Clear();
            if (!drop)
            {
                using var top = QcowImage.Open(imagePath, new QcowOpenOptions { Access = FileAccess.ReadWrite, ExternalFiles = ExternalFilePolicy.Never });
                top.Unallocate(0, top.VirtualSize);
                top.Flush();
            }
            progress?.Report(new QcowCommitProgress(total, total));
        }
        finally
        {
            foreach (var layer in layers) layer.Dispose();
        }
    }

    /// <summary>Opens the image and every backing file above the base, top first; returns the base's path and format.</summary>
    private static (string Path, string Format) OpenLayersAboveBase(string imagePath, string? baseName, List<QcowImage> layers)
    {
        var wanted = baseName is null ? null : Path.GetFullPath(baseName);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var current = imagePath;
        while (true)
        {
            var layer = QcowImage.Open(current, new QcowOpenOptions { ExternalFiles = ExternalFilePolicy.Never });
            layers.Add(layer);
            if (layer.Header.HasExternalDataFile)
            {
                throw new QcowOptionsException($"QcowKit does not commit images with an external data file yet ('{current}')");
            }
            if (layer.Header.BackingFile is not { Length: > 0 } stored)
            {
                throw new QcowOptionsException(baseName is null ? "Image does not have a backing file" : $"Did not find '{baseName}' in the backing chain of '{imagePath}'");
            }
            var next = QcowImage.CombineBackingName(layer.FileName, stored);
            if (!seen.Add(Path.GetFullPath(next)))
            {
                throw new QcowOptionsException($"Did not find '{baseName}' in the backing chain of '{imagePath}' (the chain loops back to '{next}')");
            }
            var nextFormat = layer.Header.BackingFormat ?? VirtualDisk.Probe(next);
            if (wanted is null || Path.GetFullPath(next) == wanted || stored == baseName)
            {
                return (next, nextFormat);
            }
            if (nextFormat != "qcow2")
            {
                throw new QcowOptionsException($"Did not find '{baseName}' in the backing chain of '{imagePath}'");
            }
            current = next;
        }
    }

    private static QcowImage OpenBase(string path, string format)
    {
        if (format != "qcow2")
        {
            throw new QcowOptionsException($"QcowKit commits into qcow2 images only; '{path}' is {format}");
        }
        return QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite });
    }

    /// <summary>The parts of [start, end) that the sorted, disjoint <paramref name="covered"/> ranges leave out.</summary>
    private static IEnumerable<(long Start, long End)> Uncovered(List<(long Start, long End)> covered, long start, long end)
    {
        // The first covered range that ends after start.
        int low = 0, high = covered.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (covered[middle].End <= start) low = middle + 1;
            else high = middle;
        }
        var position = start;
        for (var i = low; i < covered.Count && covered[i].Start < end && position < end; i++)
        {
            if (covered[i].Start > position) yield return (position, covered[i].Start);
            position = Math.Max(position, covered[i].End);
        }
        if (position < end) yield return (position, end);
    }

    private static List<(long Start, long End)> Merge(List<(long Start, long End)> covered, IEnumerable<(long Start, long End)> added)
    {
        var merged = new List<(long Start, long End)>();
        foreach (var range in covered.Concat(added).OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && merged[^1].End >= range.Start)
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, range.End));
            }
            else
            {
                merged.Add(range);
            }
        }
        return merged;
    }

    private static void CopyRange(QcowImage layer, QcowImage target, long start, long end, bool zero)
    {
        if (zero)
        {
            target.WriteZeroes(start, end - start);
            return;
        }
        var buffer = new byte[(int)Math.Min(ChunkBytes, end - start)];
        for (var offset = start; offset < end; offset += buffer.Length)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - offset));
            layer.Read(offset, chunk);
            target.Write(offset, chunk);
        }
    }
}
