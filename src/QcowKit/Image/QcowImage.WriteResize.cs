using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image.Writing;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    /// <summary>
    /// Changes the virtual size, as <c>qemu-img resize [--shrink]</c>. Growing enlarges the L1 table when
    /// needed (a new table is written before the header points to it); the new area reads as zeros.
    /// Shrinking needs <paramref name="allowShrink"/> and is refused while any cluster past the new end is
    /// allocated. Sizes are rounded up to 512 bytes.
    /// </summary>
    /// <param name="newSize">The new virtual size in bytes.</param>
    /// <param name="allowShrink">Allow a smaller size (qemu-img's <c>--shrink</c>).</param>
    /// <param name="cancellationToken">Observed before the first metadata write: a canceled call leaves the image as it was.</param>
    /// <exception cref="InvalidOperationException">A shrink without <paramref name="allowShrink"/>, or with data past the new end.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the image changed.</exception>
    public void Resize(long newSize, bool allowShrink = false, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newSize);
        lock (_writeLock)
        {
            cancellationToken.ThrowIfCancellationRequested();
            BeginWrite(0, 0);
            try
            {
                var size = (newSize + 511) & ~511L;
                var oldSize = VirtualSize;
                if (Header.Version < 3 && Header.NbSnapshots > 0)
                {
                    throw new InvalidOperationException("Can't resize a v2 image which has snapshots");
                }
                if (size < oldSize)
                {
                    if (!allowShrink)
                    {
                        throw new InvalidOperationException("Use the --shrink option to perform a shrink operation.");
                    }
                    RefuseAllocatedPast(size);
                }
                PrepareBitmapsForResize();
                var required = (long)QcowHeader.RequiredL1EntriesFor((ulong)size, Header.ClusterBits, Header.L2Bits);
                if (required > QcowLimits.MaxL1SizeBytes / 8)
                {
                    throw new InvalidOperationException("Failed to grow the L1 table: File too large");
                }
                if (required > _l1Table.Length)
                {
                    GrowL1(required);
                }
                if (Header.HasExternalDataFile && DataFile is { } data && data.Length < size && Header.DataFileIsRaw)
                {
                    data.SetLength(size);
                }
                Header.Size = (ulong)size;
                Span<byte> field = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(field, (ulong)size);
                HostIo.Write(ImageFile, field, HeaderFieldOffsets.Size, Options.WriteObserver);
                ResizeBitmaps(size);
                if (size > oldSize && Backing is { } backing && backing.VirtualSize > oldSize)
                {
                    // The grown area must read as zeros, not as the (larger) backing file's data.
                    var end = Math.Min(size, backing.VirtualSize);
                    for (var offset = oldSize; offset < end;)
                    {
                        var clusterStart = offset & ~Header.ClusterOffsetMask;
                        var within = (int)(offset - clusterStart);
                        var count = (int)Math.Min(end - offset, Header.ClusterSize - within);
                        ZeroCluster(clusterStart, within, count);
                        offset += count;
                    }
                }
                EndWrite();
                _barrier!.Flush();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    private void RefuseAllocatedPast(long size)
    {
        var clusterBits = Header.ClusterBits;
        var firstCluster = (size + Header.ClusterSize - 1) >> clusterBits;
        var lastCluster = (VirtualSize + Header.ClusterSize - 1) >> clusterBits;
        for (var cluster = firstCluster; cluster < lastCluster; cluster++)
        {
            var l1Index = (cluster << clusterBits) >> L2CoverageBits;
            var l1 = new L1Entry(_l1Table[l1Index]);
            if (l1.L2TableOffset == 0)
            {
                cluster = ((l1Index + 1) << (L2CoverageBits - clusterBits)) - 1;
                continue;
            }
            var table = GetL2Table(l1Index, l1);
            var index = (int)(cluster & (Header.L2Entries - 1));
            var stride = Header.HasExtendedL2 ? 2 : 1;
            if (table[index * stride] != 0 || (stride == 2 && table[(index * 2) + 1] != 0))
            {
                throw new InvalidOperationException($"Cannot shrink to {size} bytes: guest cluster at {cluster << clusterBits} is allocated (discard it first)");
            }
        }
    }

    /// <summary>Writes a bigger L1 table elsewhere, switches the header to it in one write, then frees the old one.</summary>
    private void GrowL1(long entries)
    {
        var clusterSize = Header.ClusterSize;
        var bytes = entries * 8;
        var clusters = (bytes + clusterSize - 1) / clusterSize;
        var newOffset = _allocator!.Allocate(clusters);
        var table = new ulong[entries];
        _l1Table.CopyTo(table, 0);
        var buffer = new byte[bytes];
        for (var i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(i * 8), table[i]);
        }
        HostIo.Write(ImageFile, buffer, newOffset, Options.WriteObserver);
        _barrier!.Flush();
        Span<byte> fields = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(fields, (uint)entries);
        BinaryPrimitives.WriteUInt64BigEndian(fields[4..], (ulong)newOffset);
        HostIo.Write(ImageFile, fields, HeaderFieldOffsets.L1Size, Options.WriteObserver);
        _barrier!.Flush();
        var oldOffset = (long)Header.L1TableOffset;
        var oldClusters = ((long)_l1Table.Length * 8 + clusterSize - 1) / clusterSize;
        Header.L1Size = (uint)entries;
        Header.L1TableOffset = (ulong)newOffset;
        _l1Table = table;
        if (oldOffset != 0)
        {
            for (var i = 0L; i < oldClusters; i++)
            {
                Unref(oldOffset + (i * clusterSize));
            }
        }
    }
}
