namespace QcowKit.Image.Files;

/// <summary>
/// The files of a new image, written all-or-nothing: the image and, when it has one, its external data file, each
/// to its own <see cref="IncompleteFile"/>. Neither may be a file the operation reads. The header names the data
/// file by its final name; only the open of the new image is pointed at the temporary one.
/// </summary>
internal sealed class NewImageFiles : IDisposable
{
    private readonly IncompleteFile _image;
    private readonly IncompleteFile? _dataFile;

    private NewImageFiles(IncompleteFile image, IncompleteFile? dataFile)
    {
        _image = image;
        _dataFile = dataFile;
    }

    /// <summary>The temporary image file to create and write.</summary>
    public string ImagePath => _image.TemporaryPath;

    /// <summary>The temporary data file to create and write, or null.</summary>
    public string? DataFilePath => _dataFile?.TemporaryPath;

    /// <summary>Refuses outputs that are inputs, then creates both temporary files.</summary>
    /// <param name="imagePath">The destination image.</param>
    /// <param name="dataFile">The external data file the header will name (resolved against the current folder, as qemu does), or null.</param>
    /// <param name="inputs">Every file the operation reads.</param>
    public static NewImageFiles Begin(string imagePath, string? dataFile, IReadOnlyCollection<InputFile> inputs)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        ArgumentNullException.ThrowIfNull(inputs);
        OutputGuard.EnsureNotAnInput(imagePath, $"'{imagePath}'", inputs);
        if (dataFile is not null)
        {
            OutputGuard.EnsureNotAnInput(dataFile, $"the data file '{dataFile}' of '{imagePath}'", inputs);
        }
        var image = IncompleteFile.Begin(imagePath);
        try
        {
            return new NewImageFiles(image, dataFile is null ? null : IncompleteFile.Begin(dataFile));
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Gives both files their names: the data file first, so that the image never names a data file that is not there.
    /// </summary>
    public void Commit(bool flushToDisk)
    {
        _dataFile?.Commit(flushToDisk);
        _image.Commit(flushToDisk);
    }

    /// <summary>An I/O failure of either temporary file told with the destination's name.</summary>
    public Exception NameDestination(Exception exception)
    {
        var named = _image.NameDestination(exception);
        return _dataFile is null ? named : _dataFile.NameDestination(named);
    }

    /// <summary>Removes whatever was not committed.</summary>
    public void Dispose()
    {
        _image.Dispose();
        _dataFile?.Dispose();
    }
}
