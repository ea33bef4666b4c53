namespace QcowKit.Image;

/// <summary>
/// A range of another disk seen as a disk of its own (guest offset 0 is <see cref="Start"/> of the inner disk), so
/// that the converter's write paths can copy part of a disk. The inner disk stays owned by the caller.
/// </summary>
internal sealed class DiskWindow(IVirtualDisk inner, long start, long length) : IVirtualDisk
{
    internal IVirtualDisk Inner { get; } = inner;

    internal long Start { get; } = start;

    public string FileName => Inner.FileName;

    public string FormatName => Inner.FormatName;

    public long VirtualSize { get; } = length;

    public void Read(long offset, Span<byte> destination)
    {
        QcowImage.CheckRange(offset, destination.Length, VirtualSize);
        Inner.Read(Start + offset, destination);
    }

    public Stream OpenStream() => new VirtualDiskStream(this);

    public IEnumerable<AllocationRange> GetAllocationMap(long start, long length)
    {
        QcowImage.CheckRange(start, length, VirtualSize);
        return Inner.GetAllocationMap(Start + start, length).Select(range => range with { Start = range.Start - Start });
    }

    /// <summary>Nothing to release: the inner disk belongs to the caller.</summary>
    public void Dispose()
    {
    }
}
