namespace QcowKit.Image;

/// <summary>An internal snapshot, with the fields <c>qemu-img info</c> and <c>qemu-img snapshot -l</c> show.</summary>
/// <param name="Id">The snapshot's unique id string.</param>
/// <param name="Name">The snapshot's name.</param>
/// <param name="VmStateSize">Size of the saved VM state in bytes (0 for disk-only snapshots).</param>
/// <param name="DateSeconds">Creation time, seconds since the Unix epoch.</param>
/// <param name="DateNanoseconds">Creation time, nanoseconds part.</param>
/// <param name="VmClockNanoseconds">Guest clock at snapshot time, in nanoseconds.</param>
/// <param name="DiskSize">Virtual disk size at snapshot time, when recorded.</param>
/// <param name="Icount">Instruction count at snapshot time, when recorded.</param>
/// <param name="L1Size">Entries of the snapshot's L1 table.</param>
public sealed record QcowSnapshotInfo(
    string Id,
    string Name,
    ulong VmStateSize,
    uint DateSeconds,
    uint DateNanoseconds,
    ulong VmClockNanoseconds,
    ulong? DiskSize,
    long? Icount,
    uint L1Size)
{
    /// <summary>Creation time as a date.</summary>
    public DateTimeOffset Date => DateTimeOffset.FromUnixTimeSeconds(DateSeconds).AddTicks(DateNanoseconds / 100);
}
