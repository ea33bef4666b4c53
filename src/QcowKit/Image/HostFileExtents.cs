using System.Runtime.InteropServices;
using QcowKit.Image.Files;

namespace QcowKit.Image;

/// <summary>
/// Data and hole extents of a host file (lseek SEEK_DATA/SEEK_HOLE on Linux), which qemu's
/// file driver reports in block status: a hole reads as zeros. Elsewhere everything is data.
/// </summary>
internal static partial class HostFileExtents
{
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int ENXIO = 6;

    /// <summary>Classifies the extent at <paramref name="offset"/>: whether it is a hole, and its length (at most <paramref name="length"/>).</summary>
    internal static (bool Hole, long Length) Probe(HostFile hostFile, long offset, long length, long fileLength)
    {
        if (offset >= fileLength)
        {
            return (true, length);
        }
        // A stream has no extents to ask about: all of it is data, as on platforms without SEEK_DATA.
        if (!OperatingSystem.IsLinux() || hostFile.OsHandle is not { } file)
        {
            return (false, Math.Min(length, fileLength - offset));
        }
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var fd = (int)file.DangerousGetHandle();
            var data = LSeek(fd, offset, SeekData);
            if (data < 0)
            {
                return Marshal.GetLastPInvokeError() == ENXIO ? (true, length) : (false, Math.Min(length, fileLength - offset));
            }
            if (data > offset)
            {
                return (true, Math.Min(length, data - offset));
            }
            var hole = LSeek(fd, offset, SeekHole);
            if (hole < 0)
            {
                return (false, Math.Min(length, fileLength - offset));
            }
            // qemu rounds a data extent that ends inside the last sector up to the sector.
            var end = hole == fileLength ? ((hole + 511) & ~511L) : hole;
            return (false, Math.Min(length, end - offset));
        }
        catch (EntryPointNotFoundException)
        {
            return (false, Math.Min(length, fileLength - offset));
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Bytes the file occupies on disk (st_blocks * 512), or null when unknown.</summary>
    internal static long? AllocatedSize(string path)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return null;
        }
        // struct stat is 144 (x86-64) or 128 (aarch64) bytes; st_blocks sits at offset 64 on both.
        Span<byte> buffer = stackalloc byte[256];
        try
        {
            if (Stat(path, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        return BitConverter.ToInt64(buffer[64..]) * 512;
    }

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte buffer);
}
