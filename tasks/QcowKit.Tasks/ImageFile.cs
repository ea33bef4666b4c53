using System.Buffers.Binary;

namespace QcowKit.Tasks;

/// <summary>The checks and error mapping every task applies before and around opening an image.</summary>
internal static class ImageFile
{
    private const uint QcowMagic = 0x514649fb;
    private const int CryptMethodOffset = 32;

    /// <summary>True when <paramref name="path"/> is a file; otherwise logs QCOW1001 (absent) or QCOW1002 (a folder).</summary>
    public static bool Exists(QcowTask task, string path)
    {
        if (File.Exists(path)) return true;
        if (Directory.Exists(path))
        {
            task.LogErrorFor(path, "ImageUnreadable", path, task.Log.FormatResourceString("IsDirectory"));
        }
        else
        {
            task.LogErrorFor(path, "ImageNotFound", path);
        }
        return false;
    }

    /// <summary>Exceptions that mean "this image or request is not usable" rather than a bug in QcowKit: the engine's list.</summary>
    public static bool IsImageProblem(Exception exception) => QcowException.KindOf(exception) is not null;

    /// <summary>
    /// Logs QCOW1008 with qemu's text when another process holds a file the task needs (qemu's image locks), at
    /// the locked file; false for any other failure.
    /// </summary>
    public static bool LogIfLocked(QcowTask task, Exception exception)
    {
        if (exception is not QcowImageLockedException locked) return false;
        task.LogErrorFor(locked.FileName, "ImageLocked", locked.FileName, locked.Reason, locked.Hint);
        return true;
    }

    /// <summary>Logs why an image could not be opened: QCOW1008 locked, QCOW1004 encrypted, QCOW1003 invalid, QCOW1002 unreadable.</summary>
    public static void LogOpenFailure(QcowTask task, string path, Exception exception)
    {
        if (LogIfLocked(task, exception))
        {
            return;
        }
        if (IsEncrypted(path))
        {
            task.LogErrorFor(path, "ImageEncrypted", path);
        }
        else if (QcowException.KindOf(exception) == QcowErrorKind.BadImage)
        {
            task.LogErrorFor(path, "ImageInvalid", path, exception.Message);
        }
        else
        {
            task.LogErrorFor(path, "ImageUnreadable", path, exception.Message);
        }
    }

    /// <summary>Reads only the magic and crypt_method fields: encryption is refused before any other field matters.</summary>
    public static bool IsEncrypted(string path)
    {
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Span<byte> header = stackalloc byte[CryptMethodOffset + 4];
            if (RandomAccess.Read(file, header, 0) < header.Length) return false;
            return BinaryPrimitives.ReadUInt32BigEndian(header) == QcowMagic
                && BinaryPrimitives.ReadUInt32BigEndian(header[CryptMethodOffset..]) != 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
