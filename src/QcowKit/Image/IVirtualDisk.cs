namespace QcowKit.Image;

/// <summary>
/// A guest disk that can be read: a qcow2 image (<see cref="QcowImage"/>) or a raw file
/// (<see cref="RawImage"/>). Backing chains and conversions work on this abstraction.
/// </summary>
public interface IVirtualDisk : IDisposable
{
    /// <summary>The file name as it was given to open the disk.</summary>
    string FileName { get; }

    /// <summary>The format name as qemu spells it: <c>qcow2</c> or <c>raw</c>.</summary>
    string FormatName { get; }

    /// <summary>Size of the guest disk in bytes.</summary>
    long VirtualSize { get; }

    /// <summary>
    /// Reads guest bytes at <paramref name="offset"/> into the whole of <paramref name="destination"/>.
    /// The range must lie inside the disk. Safe to call from several threads at different offsets.
    /// </summary>
    void Read(long offset, Span<byte> destination);

    /// <summary>A seekable, read-only stream over the guest disk. Each stream has its own position.</summary>
    Stream OpenStream();

    /// <summary>
    /// The allocation map of a guest range, as <c>qemu-img map --output=json</c> reports it:
    /// adjacent ranges with the same properties are merged.
    /// </summary>
    IEnumerable<AllocationRange> GetAllocationMap(long start, long length);
}
