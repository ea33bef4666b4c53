namespace QcowKit.Image.Files;

/// <summary>One file an operation reads: its name, its identity, and how the operation reaches it.</summary>
/// <param name="Path">The name as the chain gives it (a backing file's name is resolved against its overlay).</param>
/// <param name="Identity">Device and inode (or volume and file index); null where the platform cannot tell.</param>
/// <param name="Relation">E.g. <c>the source image</c>, <c>the backing file of 'mid.qcow2'</c>.</param>
internal sealed record InputFile(string Path, FileIdentity? Identity, string Relation)
{
    /// <summary>
    /// Every file behind an opened disk: the image, its external data file, and its backing chain at every depth.
    /// A disk of another implementation contributes nothing (its files are unknown).
    /// </summary>
    public static IEnumerable<InputFile> Of(IVirtualDisk disk, string relation)
    {
        ArgumentNullException.ThrowIfNull(disk);
        switch (disk)
        {
            case QcowImage image:
                // An image over a stream is no host file, so no output can be it.
                if (image.ImageFile.OsHandle is { } handle)
                {
                    yield return new InputFile(image.FileName, FileIdentity.Of(handle), relation);
                }
                if (image.DataFilePath is { } dataPath && image.DataFile?.OsHandle is { } dataHandle)
                {
                    yield return new InputFile(dataPath, FileIdentity.Of(dataHandle), $"the data file of '{image.FileName}'");
                }
                if (image.Backing is { } backing)
                {
                    foreach (var file in Of(backing, $"the backing file of '{image.FileName}'"))
                    {
                        yield return file;
                    }
                }
                break;
            case RawImage raw:
                yield return new InputFile(raw.FileName, raw.Identity, relation);
                break;
            case DiskWindow window:
                foreach (var file in Of(window.Inner, relation))
                {
                    yield return file;
                }
                break;
        }
    }

    /// <summary>
    /// The backing chain a new image at <paramref name="imagePath"/> will have: the backing file opened (read-only) to
    /// walk its own backing and data files, or, when it cannot be opened as an image, just the file its name reaches.
    /// </summary>
    public static IReadOnlyCollection<InputFile> OfBackingChain(string imagePath, string? backingName, string? backingFormat)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        if (string.IsNullOrEmpty(backingName)) return [];
        var relation = $"the backing file of '{imagePath}'";
        var path = QcowImage.CombineBackingName(imagePath, backingName);
        if (!File.Exists(path)) return [];
        try
        {
            using var backing = VirtualDisk.OpenNamed(path, backingFormat is "qcow2" or "raw" ? backingFormat : null);
            return [.. Of(backing, relation)];
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            // Whether the backing file is usable is for create to say; here only its identity matters.
            return [OfPath(path, relation)];
        }
    }

    /// <summary>A file the operation names but has not opened (e.g. a backing file that cannot be opened as an image).</summary>
    public static InputFile OfPath(string path, string relation) => new(path, FileIdentity.OfPath(path), relation);
}
