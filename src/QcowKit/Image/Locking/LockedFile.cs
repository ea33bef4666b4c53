using Microsoft.Win32.SafeHandles;

namespace QcowKit.Image.Locking;

/// <summary>
/// Opens a user's file with qemu's image locks on it: every engine open of an image, backing file, data file
/// or output goes through here. The locks live as long as the returned handle.
/// </summary>
internal static class LockedFile
{
    /// <summary>Opens an existing file and locks it; on refusal the handle is closed and nothing was changed.</summary>
    public static SafeFileHandle Open(string path, string displayName, FileAccess access, ImageLockMode mode)
    {
        var share = (access & FileAccess.Write) != 0 ? FileShare.Read : FileShare.ReadWrite | FileShare.Delete;
        return Locked(HostFiles.OpenExisting(displayName, access, share, fullPath: path), displayName, mode);
    }

    /// <summary>
    /// Creates or replaces a file, as FileMode.Create would, but truncates only after the locks are held: a file
    /// another process is using is refused untouched (qemu-img create and convert lock before truncating too).
    /// </summary>
    public static SafeFileHandle Create(string path, string displayName, ImageLockMode mode)
    {
        var handle = OpenForReplacing(path, displayName, mode);
        try
        {
            RandomAccess.SetLength(handle, 0);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens (creating if needed) a file that is about to be replaced, with the locks held but its bytes untouched,
    /// so that a caller replacing several files can hold every lock before it truncates any of them.
    /// </summary>
    public static SafeFileHandle OpenForReplacing(string path, string displayName, ImageLockMode mode)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw HostFiles.Failure(displayName, "create", ex);
        }
        return Locked(handle, displayName, mode);
    }

    /// <summary>
    /// Releases the handle's locks, then closes it. Closing alone is not enough: a child process another thread is
    /// starting holds a copy of every descriptor until it execs, and with it the open file description and its
    /// locks, so a tool started right after the close could still find the image locked.
    /// </summary>
    public static void Close(SafeFileHandle? handle)
    {
        if (handle is null || handle.IsClosed)
        {
            return;
        }
        if (OfdLocks.Available && !handle.IsInvalid)
        {
            OfdLocks.ReleaseAll(handle);
        }
        handle.Dispose();
    }

    private static SafeFileHandle Locked(SafeFileHandle handle, string displayName, ImageLockMode mode)
    {
        try
        {
            // The lock object is not kept: Close releases the locks, and closing the last descriptor ends them in any case.
            _ = ImageFileLock.Acquire(handle, displayName, mode);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
