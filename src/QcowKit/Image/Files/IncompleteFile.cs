using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using QcowKit.Image.Locking;

namespace QcowKit.Image.Files;

/// <summary>
/// An output written all-or-nothing: the bytes go to a temporary file beside the destination, named
/// <c>.NAME.qcowkit-incomplete-XXXXXXXX</c> so that anyone who finds it after a crash knows what it is, and take the
/// destination's name only in <see cref="Commit"/>. Disposing without committing removes the temporary file, so on
/// an error, a cancellation or a full disk the destination keeps its old bytes (or stays absent).
/// </summary>
internal sealed partial class IncompleteFile : IDisposable
{
    /// <summary>The infix every temporary name carries.</summary>
    public const string Marker = ".qcowkit-incomplete-";

    private bool _committed;
    private readonly SafeFileHandle? _destinationLock;

    private IncompleteFile(string destinationPath, string temporaryPath, SafeFileHandle? destinationLock)
    {
        DestinationPath = destinationPath;
        TemporaryPath = temporaryPath;
        _destinationLock = destinationLock;
    }

    /// <summary>Where the output ends up: the destination's full path, through any symlink to the file it names.</summary>
    public string DestinationPath { get; }

    /// <summary>The temporary file to write; it exists (empty) once <see cref="Begin"/> returns.</summary>
    public string TemporaryPath { get; }

    /// <summary>
    /// Creates the empty temporary file beside <paramref name="destinationPath"/>. A destination that is a symlink is
    /// followed: the file it names is replaced and the link stays, as when the file is written in place.
    /// </summary>
    public static IncompleteFile Begin(string destinationPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        if (Directory.Exists(destinationPath))
        {
            throw new HostFileException(destinationPath, $"Could not create '{destinationPath}': Is a directory");
        }
        var destination = OutputGuard.ResolvedFullPath(destinationPath);
        var folder = Path.GetDirectoryName(destination) ?? throw new IOException($"Could not create '{destinationPath}': it names no file");
        var destinationLock = LockExistingDestination(destination, destinationPath);
        for (var attempt = 0; ; attempt++)
        {
            var temporary = Path.Combine(folder, $".{Path.GetFileName(destination)}{Marker}{RandomNumberGenerator.GetHexString(8, lowercase: true)}");
            try
            {
                // Created and closed at once: writers reopen it. On ext4 this also clears the "allocate on close" mark
                // a truncating open sets, which would otherwise start writeback of the whole image when it is closed.
                File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read).Dispose();
                return new IncompleteFile(destination, temporary, destinationLock);
            }
            catch (IOException) when (attempt < 8 && File.Exists(temporary))
            {
                // A name taken by someone else's incomplete output: draw another.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                destinationLock?.Dispose();
                // Told as qemu-img tells a failed create of the destination: the user never named the temporary file.
                throw HostFiles.Failure(destinationPath, "create", ex);
            }
            catch
            {
                destinationLock?.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// An existing destination another process has open as an image (a VM, qemu-io, qemu-nbd) must not be replaced under
    /// it: its qemu write lock is taken, as qemu-img create and convert take it on their target, and held until the
    /// output has the name (or is abandoned), so nobody opens the old file for writing meanwhile. Null when there is
    /// no such file.
    /// </summary>
    private static SafeFileHandle? LockExistingDestination(string destination, string displayName) =>
        File.Exists(destination) ? LockedFile.Open(destination, displayName, FileAccess.Read, ImageLockMode.Write) : null;

    /// <summary>
    /// Gives the complete output the destination's name (replacing any file there, whose permissions it takes).
    /// The writer has already flushed the file itself when the caller asked for stable storage; with
    /// <paramref name="flushToDisk"/> the rename is made stable too.
    /// </summary>
    public void Commit(bool flushToDisk)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        if (!OperatingSystem.IsWindows() && File.Exists(DestinationPath))
        {
            File.SetUnixFileMode(TemporaryPath, File.GetUnixFileMode(DestinationPath));
            if (OperatingSystem.IsLinux() && ExchangeNames(TemporaryPath, DestinationPath))
            {
                _committed = true;
                _destinationLock?.Dispose();
                DeleteQuietly(TemporaryPath); // now the replaced file
                if (flushToDisk) FlushFolder();
                return;
            }
        }
        File.Move(TemporaryPath, DestinationPath, overwrite: true);
        _committed = true;
        _destinationLock?.Dispose();
        if (flushToDisk) FlushFolder();
    }

    /// <summary>
    /// Swaps two names atomically (renameat2 RENAME_EXCHANGE). A plain rename over an existing file makes ext4 start
    /// writeback of the whole renamed file inside the call (auto_da_alloc, meant for programs that never fsync):
    /// 0.85 s became 2.7 s for a 1 GiB raw convert over an existing file. The exchange does not, and the destination
    /// still always names a whole file, old or new. False where the file system or kernel cannot exchange.
    /// </summary>
    private static bool ExchangeNames(string first, string second)
    {
        const int AtFdCwd = -100;
        const uint RenameExchange = 2;
        try
        {
            return RenameAt2(AtFdCwd, first, AtFdCwd, second, RenameExchange) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false; // glibc before 2.28
        }
    }

    /// <summary>
    /// An I/O failure of the temporary file told with the destination's name (the user never named the temporary
    /// file); other failures unchanged.
    /// </summary>
    public Exception NameDestination(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is IOException and not OutputIsInputException && exception.Message.Contains(TemporaryPath, StringComparison.Ordinal))
        {
            return new IOException(exception.Message.Replace(TemporaryPath, DestinationPath, StringComparison.Ordinal), exception);
        }
        return exception;
    }

    /// <summary>Removes the temporary file unless it was committed.</summary>
    public void Dispose()
    {
        _destinationLock?.Dispose();
        if (_committed) return;
        _committed = true;
        DeleteQuietly(TemporaryPath);
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the operation's own outcome is the one to report, and the name says what is left.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    /// <summary>fsync of the folder, so that the new name survives a power loss (Linux; .NET cannot open a folder as a file).</summary>
    private void FlushFolder()
    {
        if (!OperatingSystem.IsLinux()) return;
        var folder = OpenReadOnly(Path.GetDirectoryName(DestinationPath)!, 0);
        if (folder < 0) return; // the data itself is already stable; only the name may be lost
        _ = Fsync(folder);
        _ = Close(folder);
    }

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldFolder, string oldPath, int newFolder, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenReadOnly(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
