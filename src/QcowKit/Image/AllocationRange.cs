namespace QcowKit.Image;

/// <summary>
/// One entry of an allocation map, with the meaning of <c>qemu-img map --output=json</c>'s keys.
/// </summary>
/// <param name="Start">Guest offset of the range.</param>
/// <param name="Length">Length of the range in bytes.</param>
/// <param name="Depth">Layer of the backing chain that decided the range: 0 is the image itself, 1 its backing file, ...</param>
/// <param name="Present">The range is allocated in some layer (qemu's BDRV_BLOCK_ALLOCATED).</param>
/// <param name="Zero">The range reads as zeros.</param>
/// <param name="Data">The range holds data (qemu's BDRV_BLOCK_DATA).</param>
/// <param name="Offset">Host offset in <paramref name="HostFile"/>, when there is one.</param>
/// <param name="Compressed">The range is a compressed cluster (no host offset is reported for it).</param>
/// <param name="HostFile">
/// The file <paramref name="Offset"/> refers to (image, external data file or raw backing), when there is one: its name as
/// opened, as qemu-img map prints it (a relative name stays relative; a backing file's name is the image's folder as
/// given joined with the backing file name, <c>sub/../base.qcow2</c>).
/// </param>
public readonly record struct AllocationRange(
    long Start,
    long Length,
    int Depth,
    bool Present,
    bool Zero,
    bool Data,
    long? Offset,
    bool Compressed,
    string? HostFile)
{
    /// <summary>True when <paramref name="next"/> continues this range with the same properties (qemu's entry_mergeable).</summary>
    public bool CanMergeWith(AllocationRange next) =>
        Start + Length == next.Start && Depth == next.Depth && Present == next.Present && Zero == next.Zero &&
        Data == next.Data && Compressed == next.Compressed && Offset.HasValue == next.Offset.HasValue &&
        (!Offset.HasValue || Offset.Value + Length == next.Offset) && HostFile == next.HostFile;

    /// <summary>Merges adjacent mergeable ranges.</summary>
    public static IEnumerable<AllocationRange> Merge(IEnumerable<AllocationRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        AllocationRange? pending = null;
        foreach (var range in ranges)
        {
            if (range.Length == 0)
            {
                continue;
            }
            if (pending is { } current && current.CanMergeWith(range))
            {
                pending = current with { Length = current.Length + range.Length };
                continue;
            }
            if (pending is { } done)
            {
                yield return done;
            }
            pending = range;
        }
        if (pending is { } last)
        {
            yield return last;
        }
    }
}
