using QcowKit.Format;
using QcowKit.Image.Files;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    /// <summary>The allocation map of the whole guest disk (qemu-img map semantics).</summary>
    public IEnumerable<AllocationRange> GetAllocationMap() => GetAllocationMap(0, VirtualSize);

    /// <inheritdoc />
    public IEnumerable<AllocationRange> GetAllocationMap(long start, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckRange(start, length, VirtualSize);
        return AllocationRange.Merge(Enumerate(start, length));
    }

    /// <summary>
    /// The ranges this image allocates itself (data, compressed or zero), without looking at its backing file, so it
    /// works on an image opened without one: what qemu-img commit copies down from each layer.
    /// </summary>
    internal IEnumerable<(long Start, long Length, bool Zero)> OwnAllocation()
    {
        for (var at = 0L; at < VirtualSize;)
        {
            var run = ResolveRun(at, VirtualSize - at);
            switch (run.Type)
            {
                case SubclusterType.Normal or SubclusterType.Compressed:
                    yield return (at, run.Length, false);
                    break;
                case SubclusterType.ZeroPlain or SubclusterType.ZeroAlloc:
                    yield return (at, run.Length, true);
                    break;
            }
            at += run.Length;
        }
    }

    private IEnumerable<AllocationRange> Enumerate(long start, long length)
    {
        var end = start + length;
        // Names as given, as qemu-img map prints them (a backing file's is the combined name, as qemu's).
        var dataFile = _dataFileName ?? FileName;
        for (var at = start; at < end;)
        {
            var run = ResolveRun(at, end - at);
            switch (run.Type)
            {
                case SubclusterType.Normal when !LooksMetadataPreallocated:
                    yield return new AllocationRange(at, run.Length, 0, true, false, true, run.HostOffset, false, dataFile);
                    break;
                case SubclusterType.Normal:
                    // With metadata preallocation qemu asks the host file about the data's extent: a hole reads as zeros.
                    var handle = RequireDataFile();
                    var hostLength = handle.Length;
                    for (long done = 0; done < run.Length;)
                    {
                        var (hole, size) = HostFileExtents.Probe(handle, run.HostOffset + done, run.Length - done, hostLength);
                        yield return new AllocationRange(at + done, size, 0, true, hole, true, run.HostOffset + done, false, dataFile);
                        done += size;
                    }
                    break;
                case SubclusterType.Compressed:
                    yield return new AllocationRange(at, run.Length, 0, true, false, true, null, true, null);
                    break;
                case SubclusterType.ZeroPlain:
                    yield return new AllocationRange(at, run.Length, 0, true, true, false, null, false, null);
                    break;
                case SubclusterType.ZeroAlloc:
                    yield return new AllocationRange(at, run.Length, 0, true, true, false, run.HostOffset, false, dataFile);
                    break;
                default:
                    foreach (var range in EnumerateUnallocated(run, dataFile))
                    {
                        yield return range;
                    }
                    break;
            }
            at += run.Length;
        }
    }

    private int _metadataPreallocation; // 0 unknown, 1 no, 2 yes

    /// <summary>
    /// qemu's qcow2_detect_metadata_preallocation: the image file has clearly fewer clusters
    /// allocated on disk than its refcounts claim. Only then does qemu's block status look for
    /// holes under data clusters (BDRV_BLOCK_RECURSE), so qemu-img map reports them as zero.
    /// </summary>
    internal bool LooksMetadataPreallocated
    {
        get
        {
            if (_metadataPreallocation == 0)
            {
                var allocated = AllocatedHostBytes;
                var result = false;
                if (allocated is { } bytes)
                {
                    var realClusters = bytes / ClusterSize;
                    var threshold = Math.Max(realClusters * 10 / 9, realClusters + 2);
                    var endCluster = (FileLength + ClusterSize - 1) / ClusterSize;
                    result = CountReferencedClusters(endCluster, threshold) >= threshold;
                }
                _metadataPreallocation = result ? 2 : 1;
            }
            return _metadataPreallocation == 2;
        }
    }

    /// <summary>Host clusters below <paramref name="endCluster"/> with a nonzero refcount, counting at most to <paramref name="stopAt"/>.</summary>
    internal long CountReferencedClusters(long endCluster, long stopAt)
    {
        var h = Header;
        var blockEntries = h.RefcountBlockEntries;
        // Past the end of the file the refcount table reads as zeros: only the part the file holds is read.
        var table = ReadTable(h.RefcountTableOffset, EntriesInFile(h.RefcountTableOffset, (ulong)h.RefcountTableEntries, FileLength));
        var block = System.Buffers.ArrayPool<byte>.Shared.Rent(h.ClusterSize);
        try
        {
            long count = 0;
            for (long tableIndex = 0; tableIndex < table.Length && tableIndex * blockEntries < endCluster && count < stopAt; tableIndex++)
            {
                var blockOffset = new RefcountTableEntry(table[tableIndex]).RefcountBlockOffset;
                if (blockOffset == 0)
                {
                    continue;
                }
                _imageFile.ReadPadded(block.AsSpan(0, h.ClusterSize), blockOffset);
                var entries = Math.Min(blockEntries, endCluster - (tableIndex * blockEntries));
                for (long i = 0; i < entries && count < stopAt; i++)
                {
                    if (RefcountBlock.Get(block.AsSpan(0, h.ClusterSize), i, h.RefcountOrder) != 0)
                    {
                        count++;
                    }
                }
            }
            return count;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(block);
        }
    }

    private IEnumerable<AllocationRange> EnumerateUnallocated(GuestRun run, string dataFile)
    {
        long? offset = run.Type == SubclusterType.UnallocatedAlloc ? run.HostOffset : null;
        var host = offset.HasValue ? dataFile : null;
        if (Backing is null)
        {
            if (Header.BackingFile is { Length: > 0 })
            {
                throw new InvalidOperationException($"Mapping this range of '{FileName}' needs its backing file, which was not opened (external file policy).");
            }
            yield return new AllocationRange(run.GuestOffset, run.Length, 0, false, true, false, offset, false, host);
            yield break;
        }
        var backingSize = Backing.VirtualSize;
        var inside = run.GuestOffset >= backingSize ? 0 : Math.Min(run.Length, backingSize - run.GuestOffset);
        if (inside > 0)
        {
            foreach (var range in Backing.GetAllocationMap(run.GuestOffset, inside))
            {
                yield return range with { Depth = range.Depth + 1 };
            }
        }
        if (inside < run.Length)
        {
            // Past the end of a shorter backing file qemu reports zeros decided by this layer.
            yield return new AllocationRange(run.GuestOffset + inside, run.Length - inside, 0, false, true, false,
                offset.HasValue ? offset + inside : null, false, host);
        }
    }
}
