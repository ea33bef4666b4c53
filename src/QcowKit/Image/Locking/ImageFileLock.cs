using Microsoft.Win32.SafeHandles;

namespace QcowKit.Image.Locking;

/// <summary>
/// qemu's image locks on one open file: the bytes qemu 7.2's file driver would lock for the same use, held
/// until disposed or until the handle closes. Acquiring refuses with qemu's message when another process
/// (or another handle of this one) holds the file in a conflicting way. Where OFD locks are not available
/// (not Linux, or a file system that refuses them) nothing is locked, as with qemu's locking=auto.
/// </summary>
public sealed class ImageFileLock : IDisposable
{
    private const long HeldBase = 100;
    private const long UnsharedBase = 200;
    private static readonly string[] PermissionNames = ["consistent read", "write", "write unchanged", "resize"];

    private readonly SafeFileHandle _handle;
    private readonly long[] _lockedBytes;
    private bool _released;

    private ImageFileLock(SafeFileHandle handle, long[] lockedBytes)
    {
        _handle = handle;
        _lockedBytes = lockedBytes;
    }

    /// <summary>Whether any lock byte is held (false where locking is unavailable or the mode takes none).</summary>
    public bool IsHeld => _lockedBytes.Length > 0 && !_released;

    /// <summary>Takes the locks <paramref name="mode"/> stands for on <paramref name="handle"/>'s file.</summary>
    /// <param name="handle">A readable handle of the file; the locks belong to its open file description and end when it closes.</param>
    /// <param name="displayName">The file as the user named it, for the refusal message.</param>
    /// <param name="mode">What the caller will do with the file.</param>
    /// <exception cref="QcowImageLockedException">Another user of the file forbids it; no lock is left behind.</exception>
    public static ImageFileLock Acquire(SafeFileHandle handle, string displayName, ImageLockMode mode)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(displayName);
        var (held, unshared) = Permissions(mode);
        if ((held | unshared) == QemuPermissions.None || !OfdLocks.Available || !OfdLocks.SupportedOn(handle))
        {
            return new ImageFileLock(handle, []);
        }
        var wanted = new List<long>();
        for (var bit = 0; bit < PermissionNames.Length; bit++)
        {
            if (((int)held & (1 << bit)) != 0) wanted.Add(HeldBase + bit);
        }
        for (var bit = 0; bit < PermissionNames.Length; bit++)
        {
            if (((int)unshared & (1 << bit)) != 0) wanted.Add(UnsharedBase + bit);
        }
        var locked = new List<long>(wanted.Count);
        try
        {
            // qemu's order: take every byte first (raw_apply_lock_bytes), then test the opposite bytes (raw_check_lock_bytes).
            foreach (var offset in wanted)
            {
                if (!OfdLocks.TryLockShared(handle, offset, out var errno))
                {
                    // qemu never takes exclusive locks, so a conflict here means a foreign tool holds one; qemu words it so.
                    throw OfdLocks.IsConflict(errno)
                        ? new QcowImageLockedException(displayName, $"Failed to lock byte {offset}")
                        : new IOException($"Could not lock byte {offset} of '{displayName}': {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}");
                }
                locked.Add(offset);
            }
            for (var bit = 0; bit < PermissionNames.Length; bit++)
            {
                if (((int)held & (1 << bit)) != 0 && OfdLocks.HeldByOthers(handle, UnsharedBase + bit))
                {
                    throw new QcowImageLockedException(displayName, $"Failed to get \"{PermissionNames[bit]}\" lock");
                }
            }
            for (var bit = 0; bit < PermissionNames.Length; bit++)
            {
                if (((int)unshared & (1 << bit)) != 0 && OfdLocks.HeldByOthers(handle, HeldBase + bit))
                {
                    throw new QcowImageLockedException(displayName, $"Failed to get shared \"{PermissionNames[bit]}\" lock");
                }
            }
            return new ImageFileLock(handle, [.. locked]);
        }
        catch
        {
            foreach (var offset in locked)
            {
                OfdLocks.Release(handle, offset);
            }
            throw;
        }
    }

    /// <summary>Releases the locks now (closing the handle releases them too).</summary>
    public void Dispose()
    {
        if (_released)
        {
            return;
        }
        _released = true;
        if (_handle.IsClosed)
        {
            return;
        }
        foreach (var offset in _lockedBytes)
        {
            OfdLocks.Release(_handle, offset);
        }
    }

    /// <summary>The permissions held and the ones not shared, as qemu-img 7.2's traces show them for each use.</summary>
    private static (QemuPermissions Held, QemuPermissions Unshared) Permissions(ImageLockMode mode) => mode switch
    {
        ImageLockMode.None => (QemuPermissions.None, QemuPermissions.None),
        ImageLockMode.Inspect => (QemuPermissions.None, QemuPermissions.Write | QemuPermissions.Resize),
        ImageLockMode.Read => (QemuPermissions.ConsistentRead, QemuPermissions.Write | QemuPermissions.Resize),
        ImageLockMode.ReadShared => (QemuPermissions.ConsistentRead, QemuPermissions.None),
        ImageLockMode.Write => (QemuPermissions.ConsistentRead | QemuPermissions.Write | QemuPermissions.Resize, QemuPermissions.Write | QemuPermissions.Resize),
        ImageLockMode.WriteShared => (QemuPermissions.ConsistentRead | QemuPermissions.Write, QemuPermissions.None),
        ImageLockMode.Create => (QemuPermissions.Write | QemuPermissions.Resize, QemuPermissions.Resize),
        ImageLockMode.DataFileRead => (QemuPermissions.ConsistentRead, QemuPermissions.Resize),
        ImageLockMode.DataFileWrite => (QemuPermissions.ConsistentRead | QemuPermissions.Write | QemuPermissions.Resize, QemuPermissions.Resize),
        ImageLockMode.ResizeShared => (QemuPermissions.ConsistentRead | QemuPermissions.Write | QemuPermissions.Resize, QemuPermissions.None),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown lock mode"),
    };
}
