namespace QcowKit.Image.Locking;

/// <summary>
/// qemu's block permissions that its file driver turns into lock bytes: byte 100 + bit number while the
/// permission is held, byte 200 + bit number while it is not shared with others (block/file-posix.c).
/// </summary>
[Flags]
internal enum QemuPermissions
{
    None = 0,

    /// <summary>BLK_PERM_CONSISTENT_READ: reading sees data nobody else changes under it.</summary>
    ConsistentRead = 1 << 0,

    /// <summary>BLK_PERM_WRITE.</summary>
    Write = 1 << 1,

    /// <summary>BLK_PERM_WRITE_UNCHANGED: writes that leave the guest-visible data unchanged.</summary>
    WriteUnchanged = 1 << 2,

    /// <summary>BLK_PERM_RESIZE.</summary>
    Resize = 1 << 3,
}
