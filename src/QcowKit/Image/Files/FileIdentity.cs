using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QcowKit.Image.Files;

/// <summary>
/// What makes two names the same file: the device and inode on Linux, the volume serial number and file index on
/// Windows. Symlinks and hard links to one file have one identity; a file replaced under the same name does not.
/// </summary>
internal readonly partial record struct FileIdentity(ulong Device, ulong File)
{
    /// <summary>The identity of an open file, or null where the platform cannot tell (callers then compare paths).</summary>
    public static FileIdentity? Of(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (OperatingSystem.IsLinux()) return LinuxStatx.OfHandle(handle);
        if (OperatingSystem.IsWindows()) return WindowsFileIndex.Of(handle);
        return null;
    }

    /// <summary>
    /// The identity of the file <paramref name="path"/> names, following symlinks; null when nothing exists there
    /// or the platform cannot tell.
    /// </summary>
    public static FileIdentity? OfPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsLinux()) return LinuxStatx.OfPath(path);
        if (!System.IO.File.Exists(path)) return null;
        try
        {
            using var handle = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Of(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>statx(2): one struct layout on every Linux architecture, unlike struct stat.</summary>
    private static partial class LinuxStatx
    {
        private const int AtFdCwd = -100;
        private const int AtEmptyPath = 0x1000;
        private const uint StatxIno = 0x100;
        private const int StructSize = 256;
        private const int InodeOffset = 32;
        private const int DevMajorOffset = 136;
        private const int DevMinorOffset = 140;

        public static FileIdentity? OfHandle(SafeFileHandle handle)
        {
            Span<byte> buffer = stackalloc byte[StructSize];
            var result = StatxFd(handle, string.Empty, AtEmptyPath, StatxIno, ref MemoryMarshal.GetReference(buffer));
            return result == 0 ? Read(buffer) : null;
        }

        public static FileIdentity? OfPath(string path)
        {
            Span<byte> buffer = stackalloc byte[StructSize];
            // No AT_SYMLINK_NOFOLLOW: a symlink is identified by the file it reaches.
            var result = StatxPath(AtFdCwd, path, 0, StatxIno, ref MemoryMarshal.GetReference(buffer));
            return result == 0 ? Read(buffer) : null;
        }

        private static FileIdentity Read(ReadOnlySpan<byte> buffer)
        {
            var inode = MemoryMarshal.Read<ulong>(buffer[InodeOffset..]);
            var major = MemoryMarshal.Read<uint>(buffer[DevMajorOffset..]);
            var minor = MemoryMarshal.Read<uint>(buffer[DevMinorOffset..]);
            return new FileIdentity(((ulong)major << 32) | minor, inode);
        }

        [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        private static partial int StatxFd(SafeFileHandle fd, string path, int flags, uint mask, ref byte buffer);

        [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        private static partial int StatxPath(int fd, string path, int flags, uint mask, ref byte buffer);
    }

    /// <summary>GetFileInformationByHandle: the volume serial number and the 64-bit file index.</summary>
    private static partial class WindowsFileIndex
    {
        public static FileIdentity? Of(SafeFileHandle handle)
        {
            if (!GetFileInformationByHandle(handle, out var info)) return null;
            return new FileIdentity(info.VolumeSerialNumber, ((ulong)info.FileIndexHigh << 32) | info.FileIndexLow);
        }

        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        private struct ByHandleFileInformation
        {
            public uint FileAttributes;
            public long CreationTime;
            public long LastAccessTime;
            public long LastWriteTime;
            public uint VolumeSerialNumber;
            public uint FileSizeHigh;
            public uint FileSizeLow;
            public uint NumberOfLinks;
            public uint FileIndexHigh;
            public uint FileIndexLow;
        }

        [LibraryImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static partial bool GetFileInformationByHandle(SafeFileHandle file, out ByHandleFileInformation information);
    }
}
