using System.Buffers;
using QcowKit.Format;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    // One decompressed cluster is kept so that small sequential reads do not inflate the same cluster again.
    private readonly Lock _compressedLock = new();
    private byte[]? _compressedCluster;
    private ulong _compressedClusterEntry;

    /// <inheritdoc />
    public void Read(long offset, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckRange(offset, destination.Length, VirtualSize);
        while (!destination.IsEmpty)
        {
            var run = ResolveRun(offset, destination.Length);
            var part = destination[..(int)run.Length];
            switch (run.Type)
            {
                case SubclusterType.Normal:
                    QcowHeader.ReadPadded(RequireDataHandle(), part, run.HostOffset);
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

    private Microsoft.Win32.SafeHandles.SafeFileHandle RequireDataHandle() =>
        _dataFileHandle ?? throw new InvalidOperationException(
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

    /// <summary>Reads and inflates one compressed cluster into <paramref name="cluster"/> (one cluster long).</summary>
    internal void DecompressCluster(CompressedClusterDescriptor descriptor, Span<byte> cluster)
    {
        var size = descriptor.CompressedSize;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            // As qemu: the last sector may run past the end of the file; those bytes read as zeros.
            QcowHeader.ReadPadded(RequireDataHandle(), buffer.AsSpan(0, size), descriptor.HostOffset);
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
