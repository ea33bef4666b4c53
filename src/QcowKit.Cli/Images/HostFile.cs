using System.Runtime.InteropServices;

namespace QcowKit.Cli.Images;

/// <summary>
/// The allocated size of a raw file, which qemu reports as actual-size (st_blocks * 512) and .NET
/// does not expose. The engine computes the same for qcow2 images; raw images have no info object.
/// </summary>
internal static partial class HostFile
{
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
        try
        {
            if (Stat(path, buffer) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 exports no plain "stat" symbol.
            return null;
        }
        return *(long*)(buffer + StatBlocksOffset) * 512;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Stat(string path, byte* buffer);
}
