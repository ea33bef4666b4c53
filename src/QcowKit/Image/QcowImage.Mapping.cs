using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using QcowKit.Format;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    /// <summary>log2 of the guest bytes one L2 table maps.</summary>
    internal int L2CoverageBits => Header.ClusterBits + Header.L2Bits;

    /// <summary>
    /// Resolves the mapping at <paramref name="guestOffset"/> for up to <paramref name="maxLength"/>
    /// bytes (clipped to the L2 table, the virtual size, and for compressed runs the cluster).
    /// </summary>
    internal GuestRun ResolveRun(long guestOffset, long maxLength)
    {
        var h = Header;
        var clusterBits = h.ClusterBits;
        var coverageBits = L2CoverageBits;
        var tableStart = guestOffset >> coverageBits << coverageBits;
        var limit = Math.Min(Math.Min(guestOffset + maxLength, tableStart + (1L << coverageBits)), VirtualSize);
        var l1Index = guestOffset >> coverageBits;
        var l1 = new L1Entry(l1Index < _l1Table.Length ? _l1Table[l1Index] : 0);
        if (l1.L2TableOffset == 0)
        {
            return new GuestRun(guestOffset, limit - guestOffset, SubclusterType.UnallocatedPlain, 0, default, 0);
        }
        var table = GetL2Table(l1Index, l1);
        var extended = h.HasExtendedL2;
        var stride = extended ? 2 : 1;
        var subclusterBits = extended ? clusterBits - 5 : clusterBits;
        var clusterMask = (long)h.ClusterSize - 1;
        var l2Mask = h.L2Entries - 1;
        var hasDataFile = h.HasExternalDataFile;

        var (type, host, raw) = Classify(table, guestOffset, l1, clusterBits, subclusterBits, stride, l2Mask, extended, hasDataFile, clusterMask);
        if (type == SubclusterType.Compressed)
        {
            var clusterEnd = (guestOffset | clusterMask) + 1;
            return new GuestRun(guestOffset, Math.Min(limit, clusterEnd) - guestOffset, type, 0, CompressedClusterDescriptor.FromEntry(raw, clusterBits), raw);
        }
        var next = ((guestOffset >> subclusterBits) + 1) << subclusterBits;
        var hostBacked = type is SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.UnallocatedAlloc;
        while (next < limit)
        {
            var (nextType, nextHost, _) = Classify(table, next, l1, clusterBits, subclusterBits, stride, l2Mask, extended, hasDataFile, clusterMask);
            if (nextType != type || (hostBacked && nextHost != host + (next - guestOffset)))
            {
                break;
            }
            next += 1L << subclusterBits;
        }
        return new GuestRun(guestOffset, Math.Min(next, limit) - guestOffset, type, host, default, raw);
    }

    private (SubclusterType Type, long Host, ulong Raw) Classify(ulong[] table, long guestOffset, L1Entry l1, int clusterBits,
        int subclusterBits, int stride, int l2Mask, bool extended, bool hasDataFile, long clusterMask)
    {
        var index = (int)((guestOffset >> clusterBits) & l2Mask);
        var raw = table[index * stride];
        var entry = new L2Entry(raw, extended ? table[(index * stride) + 1] : 0);
        var subcluster = extended ? (int)((guestOffset >> subclusterBits) & 31) : 0;
        var type = entry.Classify(subcluster, extended, hasDataFile);
        switch (type)
        {
            case SubclusterType.Invalid:
                throw new QcowFormatException("L2 entry", L2EntryFileOffset(l1, index),
                    $"the subcluster bitmap 0x{entry.Bitmap:x16} is invalid (a subcluster both allocated and zero, or allocation bits on an unallocated cluster)");
            case SubclusterType.ZeroPlain or SubclusterType.ZeroAlloc when Header.Version == 2:
                throw new QcowFormatException("L2 entry", L2EntryFileOffset(l1, index), "the zero cluster flag is not allowed in a version 2 image");
            case SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.UnallocatedAlloc:
                if ((entry.HostOffset & clusterMask) != 0)
                {
                    throw new QcowFormatException("L2 entry", L2EntryFileOffset(l1, index),
                        $"the cluster offset 0x{entry.HostOffset:x} is not aligned to the cluster size");
                }
                return (type, entry.HostOffset + (guestOffset & clusterMask), raw);
            default:
                return (type, 0, raw);
        }
    }

    private long L2EntryFileOffset(L1Entry l1, int index) => l1.L2TableOffset + ((long)index * Header.L2EntrySize);

    /// <summary>The L2 table an L1 entry points to, decoded to host order, from the cache.</summary>
    internal ulong[] GetL2Table(long l1Index, L1Entry l1)
    {
        var offset = l1.L2TableOffset;
        if ((offset & Header.ClusterOffsetMask) != 0)
        {
            throw new QcowFormatException("L1 entry", (long)Header.L1TableOffset + (l1Index * 8), $"the L2 table offset 0x{offset:x} is not aligned to the cluster size");
        }
        return L2Cache.GetOrLoad(offset, (Image: this, L1Index: l1Index), static (at, state) => state.Image.LoadL2Table(at, state.L1Index));
    }

    private ulong[] LoadL2Table(long offset, long l1Index)
    {
        var size = Header.ClusterSize;
        if (offset + size > FileLength)
        {
            throw new QcowFormatException("L1 entry", (long)Header.L1TableOffset + (l1Index * 8), $"the L2 table at 0x{offset:x} lies past the end of the image file");
        }
        var table = new ulong[size / 8];
        _imageFile.ReadPadded(MemoryMarshal.AsBytes(table.AsSpan()), offset);
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(table, table);
        }
        return table;
    }

    /// <summary>Reads a refcount of the host cluster with index <paramref name="hostCluster"/>; 0 when its refcount block is unallocated or beyond the table.</summary>
    internal ulong GetRefcount(long hostCluster)
    {
        var h = Header;
        var blockEntries = h.RefcountBlockEntries;
        var tableIndex = hostCluster / blockEntries;
        if (tableIndex >= h.RefcountTableEntries)
        {
            return 0;
        }
        Span<byte> entryBytes = stackalloc byte[8];
        _imageFile.ReadPadded(entryBytes, (long)h.RefcountTableOffset + (tableIndex * 8));
        var tableEntry = new RefcountTableEntry(BinaryPrimitives.ReadUInt64BigEndian(entryBytes));
        if (tableEntry.RefcountBlockOffset == 0)
        {
            return 0;
        }
        var block = ArrayPool<byte>.Shared.Rent(h.ClusterSize);
        try
        {
            _imageFile.ReadPadded(block.AsSpan(0, h.ClusterSize), tableEntry.RefcountBlockOffset);
            return RefcountBlock.Get(block.AsSpan(0, h.ClusterSize), hostCluster % blockEntries, h.RefcountOrder);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }
}
