using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QcowKit.Cli.Images;

/// <summary>
/// What the host file system knows about a file that .NET does not expose: allocated size (qemu's
/// actual-size is st_blocks * 512) and data/hole extents (lseek SEEK_DATA/SEEK_HOLE, which qemu's
/// file-posix driver uses for raw block status).
/// </summary>
internal static partial class HostFile
{
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int ErrorNoSuchDeviceOrAddress = 6;

    // st_blocks sits at byte 64 of struct stat on both linux-x64 and linux-arm64.
    private const int StatBlocksOffset = 64;
    private const int StatBufferSize = 256;

    /// <summary>Bytes the file occupies on disk, or null where we cannot tell (qemu then omits actual-size too).</summary>
    public static unsafe long? AllocatedSize(string path)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return null;
        }
        var buffer = stackalloc byte[StatBufferSize];
        if (Stat(path, buffer) != 0)
        {
            return null;
        }
        return *(long*)(buffer + StatBlocksOffset) * 512;
    }

    /// <summary>
    /// From <paramref name="offset"/>: whether it lies in data and where that data or hole ends.
    /// Returns null when the file system cannot say (then everything counts as data, as in qemu).
    /// </summary>
    public static (bool IsData, long End)? FindExtent(SafeFileHandle handle, long offset, long fileLength)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return null;
        }
        var fd = (int)handle.DangerousGetHandle();
        var data = Seek(fd, offset, SeekData);
        if (data < 0)
        {
            // ENXIO: no data at or after offset, the rest is a trailing hole.
            return Marshal.GetLastPInvokeError() == ErrorNoSuchDeviceOrAddress ? (false, fileLength) : null;
        }
        if (data > offset)
        {
            return (false, data);
        }
        var hole = Seek(fd, offset, SeekHole);
        return hole < 0 ? null : (true, Math.Min(hole, fileLength));
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Stat(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Seek(int fd, long offset, int whence);
}
