namespace QcowKit.Seed;

/// <summary>The on-disk format of a seeding target.</summary>
public enum SeedImageFormat
{
    /// <summary>
    /// A new target: <c>.qcow2</c> in the name means qcow2, anything else raw. An existing target
    /// (<see cref="SeedTargetOptions.UseExisting"/>): probed from its first bytes, as qemu does.
    /// </summary>
    Auto = 0,

    /// <summary>A raw disk image (the file is the guest disk, created sparse).</summary>
    Raw = 1,

    /// <summary>A qcow2 image; zero blocks stay unallocated clusters.</summary>
    Qcow2 = 2,
}
