using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QcowKit.Image.Locking;

/// <summary>
/// Linux open-file-description byte locks through libc fcntl, the primitive qemu's image locking uses.
/// .NET's own FileShare emulation uses flock(), which neither sees nor blocks these.
/// </summary>
internal static partial class OfdLocks
{
    private const int GetLockCommand = 36; // F_OFD_GETLK
    private const int SetLockCommand = 37; // F_OFD_SETLK
    private const short ReadLock = 0;      // F_RDLCK
    private const short WriteLock = 1;     // F_WRLCK
    private const short Unlock = 2;        // F_UNLCK
    private const int EAgain = 11;
    private const int EAccess = 13;
    private const int EInval = 22;
    private const int ENoSys = 38;
    private const int EOpNotSupp = 95;

    /// <summary>
    /// Whether this process can take OFD locks at all: Linux only, and only where we know struct flock's
    /// layout (x86_64 and arm64 share it). Elsewhere QcowKit takes no locks, as qemu's locking=auto does.
    /// </summary>
    public static bool Available =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// Asks whether the file's file system takes OFD locks (qemu probes with F_OFD_GETLK the same way).
    /// False when it refuses them (some network and FUSE file systems): then no locks are taken.
    /// </summary>
    public static bool SupportedOn(SafeFileHandle handle)
    {
        var probe = new FileLockRegion { Type = WriteLock, Start = 0, Length = 0 };
        try
        {
            if (Fcntl(handle, GetLockCommand, ref probe) == 0)
            {
                return true;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library without fcntl under the name we bind: no locks, as where OFD locks do not exist.
            return false;
        }
        var errno = Marshal.GetLastPInvokeError();
        if (errno is EInval or ENoSys or EOpNotSupp)
        {
            return false;
        }
        throw new IOException($"F_OFD_GETLK failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>Takes a shared lock on one byte; false with the errno when another description holds a conflicting lock or it failed.</summary>
    public static bool TryLockShared(SafeFileHandle handle, long offset, out int errno)
    {
        var region = new FileLockRegion { Type = ReadLock, Start = offset, Length = 1 };
        errno = Fcntl(handle, SetLockCommand, ref region) == 0 ? 0 : Marshal.GetLastPInvokeError();
        return errno == 0;
    }

    /// <summary>Whether a failed F_OFD_SETLK failed because another description holds a conflicting lock (EAGAIN or EACCES).</summary>
    public static bool IsConflict(int errno) => errno is EAgain or EAccess;

    /// <summary>Releases this description's lock on one byte (never fails for a lock we hold).</summary>
    public static void Release(SafeFileHandle handle, long offset)
    {
        var region = new FileLockRegion { Type = Unlock, Start = offset, Length = 1 };
        _ = Fcntl(handle, SetLockCommand, ref region);
    }

    /// <summary>Releases every lock this description holds on the file (a no-op where none are held).</summary>
    public static void ReleaseAll(SafeFileHandle handle)
    {
        var region = new FileLockRegion { Type = Unlock, Start = 0, Length = 0 };
        _ = Fcntl(handle, SetLockCommand, ref region);
    }

    /// <summary>Whether another open file description holds any lock on the byte (qemu tests with an exclusive lock).</summary>
    public static bool HeldByOthers(SafeFileHandle handle, long offset)
    {
        var region = new FileLockRegion { Type = WriteLock, Start = offset, Length = 1 };
        if (Fcntl(handle, GetLockCommand, ref region) != 0)
        {
            throw new IOException($"F_OFD_GETLK failed on byte {offset}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        return region.Type != Unlock;
    }

    private static int Fcntl(SafeFileHandle handle, int command, ref FileLockRegion region)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return NativeFcntl((int)handle.DangerousGetHandle(), command, ref region);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    // fcntl is variadic; on Linux x86_64 and arm64 a pointer passed as the third argument travels exactly as in a fixed-argument call.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int NativeFcntl(int fd, int command, ref FileLockRegion region);

    /// <summary>struct flock on Linux x86_64 and arm64: two shorts, then 64-bit start and length, then pid (32 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct FileLockRegion
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }
}
