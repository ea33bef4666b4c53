using Microsoft.Win32.SafeHandles;

namespace QcowKit.Image;

/// <summary>
/// Opens and creates the user's files, turning .NET's failures into <see cref="HostFileException"/>s
/// worded as qemu-img words them: a directory is not a regular file (not "Access denied"), a missing
/// file is "No such file or directory", and no message repeats .NET's " : 'path'" suffix.
/// </summary>
internal static class HostFiles
{
    /// <summary>
    /// Opens an existing file; <paramref name="path"/> is the name as the user gave it, <paramref name="fullPath"/> where
    /// it resolves when that is not against the current directory (a backing file is relative to its overlay).
    /// </summary>
    public static SafeFileHandle OpenExisting(string path, FileAccess access, FileShare share, string? fullPath = null)
    {
        fullPath ??= Path.GetFullPath(path);
        try
        {
            return File.OpenHandle(fullPath, FileMode.Open, access, share);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // qemu's read-only open checks the file type first; a read-write open fails in open(2) itself.
            throw Directory.Exists(fullPath)
                ? new HostFileException(path, access == FileAccess.Read ? $"'file' driver requires '{path}' to be a regular file" : "Is a directory", ex)
                : new HostFileException(path, Reason(path, ex), ex);
        }
    }

    /// <summary>Creates (or truncates) a file, as qemu-img create and convert do with their output.</summary>
    public static SafeFileHandle Create(string path, FileMode mode, FileAccess access, FileShare share)
    {
        try
        {
            return File.OpenHandle(Path.GetFullPath(path), mode, access, share);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, "create", ex);
        }
    }

    /// <summary>qemu's "Could not VERB 'FILE': REASON" for a failed create, open or resize.</summary>
    public static HostFileException Failure(string path, string verb, Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var reason = Directory.Exists(path) ? "Is a directory" : Reason(path, ex);
        return new HostFileException(path, $"Could not {verb} '{path}': {reason}", ex);
    }

    /// <summary>Sets a file's length; a length beyond what the file system allows is qemu's "File too large".</summary>
    public static void SetLength(SafeFileHandle handle, string path, long length)
    {
        try
        {
            RandomAccess.SetLength(handle, length);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException)
        {
            // .NET reports EFBIG as an ArgumentException ("Specified file length was too large for the file system").
            var reason = ex is ArgumentException ? "File too large" : Reason(path, ex);
            throw new HostFileException(path, $"Could not resize file: {reason}", ex);
        }
    }

    /// <summary>The strerror-like reason of a .NET file failure, without the path .NET appends.</summary>
    public static string Reason(string path, Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex switch
        {
            FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
            UnauthorizedAccessException => "Permission denied",
            PathTooLongException => "File name too long",
            _ => StripPath(ex.Message, path),
        };
    }

    private static string StripPath(string message, string path)
    {
        // .NET's Unix errors read "<strerror> : '<full path>'".
        var suffix = $" : '{Path.GetFullPath(path)}'";
        var text = message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
        return text.ReplaceLineEndings(" ").Trim();
    }
}
