using System.Buffers;
using System.Runtime.ExceptionServices;
using QcowKit.Format;
using QcowKit.Image.Files;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    // One decompressed cluster is kept so that small sequential reads do not inflate the same cluster again.
    private readonly Lock _compressedLock = new();
    private byte[]? _compressedCluster;
    private ulong _compressedClusterEntry;

    // Upper bound on the clusters of one parallel batch, so the descriptor list stays small for huge reads.
    private const int MaxCompressedBatch = 256;

    /// <inheritdoc />
    public void Read(long offset, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckRange(offset, destination.Length, VirtualSize);
        while (!destination.IsEmpty)
        {
            var run = ResolveRun(offset, destination.Length);
            if (run.Type == SubclusterType.Compressed && run.Length == Header.ClusterSize && destination.Length >= 2 * run.Length)
            {
                var done = ReadCompressedClusters(run, destination);
                offset += done;
                destination = destination[done..];
                continue;
            }
            var part = destination[..(int)run.Length];
            switch (run.Type)
            {
                case SubclusterType.Normal:
                    RequireDataFile().ReadPadded(part, run.HostOffset);
                    break;
                case SubclusterType.ZeroPlain:
                case SubclusterType.ZeroAlloc:
                    part.Clear();
                    break;
                case SubclusterType.UnallocatedPlain:
                case SubclusterType.UnallocatedAlloc:
                    ReadBacking(offset, part);
                    break;
                case SubclusterType.Compressed:
                    ReadCompressed(run, part);
                    break;
                default:
                    throw new InvalidOperationException($"Unexpected subcluster type {run.Type}.");
            }
            offset += run.Length;
            destination = destination[(int)run.Length..];
        }
    }

    private HostFile RequireDataFile() =>
        _dataFile ?? throw new InvalidOperationException(
            $"Reading this range of '{FileName}' needs its external data file, which was not opened (external file policy).");

    private void ReadBacking(long offset, Span<byte> destination)
    {
        if (Backing is null)
        {
            if (Header.BackingFile is { Length: > 0 })
            {
                throw new InvalidOperationException($"Reading this range of '{FileName}' needs its backing file, which was not opened (external file policy).");
            }
            destination.Clear();
            return;
        }
        var backingSize = Backing.VirtualSize;
        var inside = offset >= backingSize ? 0 : (int)Math.Min(destination.Length, backingSize - offset);
        if (inside > 0)
        {
            Backing.Read(offset, destination[..inside]);
        }
        destination[inside..].Clear();
    }

    private void ReadCompressed(GuestRun run, Span<byte> destination)
    {
        var clusterSize = Header.ClusterSize;
        var within = (int)(run.GuestOffset & (clusterSize - 1));
        lock (_compressedLock)
        {
            if (_compressedCluster is not null && _compressedClusterEntry == run.L2Entry)
            {
                _compressedCluster.AsSpan(within, destination.Length).CopyTo(destination);
                return;
            }
        }
        var cluster = ArrayPool<byte>.Shared.Rent(clusterSize);
        DecompressCluster(run.Compressed, cluster.AsSpan(0, clusterSize));
        cluster.AsSpan(within, destination.Length).CopyTo(destination);
        byte[]? previous;
        lock (_compressedLock)
        {
            previous = _compressedCluster;
            _compressedCluster = cluster;
            _compressedClusterEntry = run.L2Entry;
        }
        if (previous is not null)
        {
            ArrayPool<byte>.Shared.Return(previous);
        }
    }

    /// <summary>
    /// Reads the whole compressed clusters that start at <paramref name="first"/>, inflating them on every
    /// core straight into <paramref name="destination"/> (qemu decompresses in a thread pool too): a large
    /// read of a compressed image is bound by inflate, not by I/O. Returns the bytes read.
    /// </summary>
    private unsafe int ReadCompressedClusters(GuestRun first, Span<byte> destination)
    {
        var clusterSize = Header.ClusterSize;
        var limit = Math.Min(destination.Length / clusterSize, MaxCompressedBatch);
        var descriptors = new CompressedClusterDescriptor[limit];
        descriptors[0] = first.Compressed;
        var count = 1;
        while (count < limit)
        {
            var next = ResolveRun(first.GuestOffset + ((long)count * clusterSize), clusterSize);
            if (next.Type != SubclusterType.Compressed || next.Length != clusterSize) break;
            descriptors[count++] = next.Compressed;
        }
        if (count == 1)
        {
            ReadCompressed(first, destination[..clusterSize]);
            return clusterSize;
        }
        fixed (byte* start = destination)
        {
            var address = (nint)start;
            try
            {
                Parallel.For(0, count, i => DecompressCluster(descriptors[i], new Span<byte>((byte*)address + ((long)i * clusterSize), clusterSize)));
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
            {
                // Callers expect the engine's own exceptions (QcowFormatException, IOException), not a wrapper.
                ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
                throw;
            }
        }
        return count * clusterSize;
    }

    /// <summary>Reads and inflates one compressed cluster into <paramref name="cluster"/> (one cluster long).</summary>
    internal void DecompressCluster(CompressedClusterDescriptor descriptor, Span<byte> cluster)
    {
        var size = descriptor.CompressedSize;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            // As qemu: the last sector may run past the end of the file; those bytes read as zeros.
            RequireDataFile().ReadPadded(buffer.AsSpan(0, size), descriptor.HostOffset);
            var error = _decompressor.Decompress(buffer.AsSpan(0, size), cluster);
            if (error is not null)
            {
                throw new QcowFormatException("compressed cluster", descriptor.HostOffset,
                    $"{Header.CompressionType} data of {descriptor.SectorCount} sector(s) does not decompress to a cluster: {error}");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ReleaseCompressedCache()
    {
        byte[]? cluster;
        lock (_compressedLock)
        {
            cluster = _compressedCluster;
            _compressedCluster = null;
        }
        if (cluster is not null)
        {
            ArrayPool<byte>.Shared.Return(cluster);
        }
    }
}
