using System.Buffers.Binary;

namespace QcowKit.Check;

internal sealed partial class CheckSession
{
    private const int BitmapDirEntryHeaderSize = 24;
    private const uint BitmapMaxTableSize = 0x8000000;
    private const ulong BitmapMaxPhysSize = 0x20000000;
    private const ulong BitmapTableEntryReservedMask = 0xff000000000001feUL;
    private const ulong BitmapTableEntryOffsetMask = 0x00fffffffffffe00UL;
    private const ulong MaxBitmapDirectorySize = 1024UL * 65535;

    private readonly record struct BitmapTableRef(ulong Offset, uint Size, string Name, long EntryOffset);

    /// <summary>qcow2_check_bitmaps_refcounts: counts the directory, each bitmap table and its data clusters.</summary>
    private void CheckBitmapsRefcounts(CheckCounts counts, RefcountArray computedRefcounts)
    {
        if (_geometry.NbBitmaps == 0) return;
        IncRefcounts(counts, computedRefcounts, _geometry.BitmapDirectoryOffset, _geometry.BitmapDirectorySize, ClusterUse.BitmapDirectory);
        var list = LoadBitmapList(out var why);
        if (list is null)
        {
            counts.Corruptions++;
            Report(QcowFindingCodes.BitmapDirectoryInvalid, QcowFindingSeverity.Error, "bitmap directory: " + why, (long)Math.Min(_geometry.BitmapDirectoryOffset, long.MaxValue));
            throw new CheckAbortedException("Invalid argument");
        }
        foreach (var bitmap in list)
        {
            IncRefcounts(counts, computedRefcounts, bitmap.Offset, (ulong)bitmap.Size * 8, ClusterUse.BitmapTable);
            var table = new ulong[bitmap.Size];
            var bytes = new byte[8];
            for (var i = 0; i < bitmap.Size; i++)
            {
                _file.Read(bitmap.Offset + (ulong)i * 8, bytes);
                table[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes);
                if (!BitmapTableEntryValid(table[i]))
                {
                    counts.Corruptions++;
                    Report(QcowFindingCodes.BitmapTableInvalid, QcowFindingSeverity.Error,
                        $"bitmap '{bitmap.Name}': table entry {i} = 0x{table[i]:x} is invalid", (long)(bitmap.Offset + (ulong)i * 8));
                    throw new CheckAbortedException("Invalid argument");
                }
            }
            foreach (var entry in table)
            {
                var offset = entry & BitmapTableEntryOffsetMask;
                if (offset == 0) continue;
                IncRefcounts(counts, computedRefcounts, offset, (ulong)_geometry.ClusterSize, ClusterUse.BitmapData);
            }
        }
    }

    private bool BitmapTableEntryValid(ulong entry)
    {
        if ((entry & BitmapTableEntryReservedMask) != 0) return false;
        var offset = entry & BitmapTableEntryOffsetMask;
        if (offset != 0 && ((entry & 1) != 0 || _geometry.OffsetIntoCluster(offset) != 0)) return false;
        return true;
    }

    /// <summary>bitmap_list_load with check_dir_entry. Null with a reason when the directory is invalid.</summary>
    private List<BitmapTableRef>? LoadBitmapList(out string why)
    {
        why = string.Empty;
        var size = _geometry.BitmapDirectorySize;
        if (size == 0)
        {
            why = "Requested bitmap directory size is zero";
            return null;
        }
        if (size > MaxBitmapDirectorySize)
        {
            why = "Requested bitmap directory size is too big";
            return null;
        }
        if (_geometry.BitmapDirectoryOffset + size > (ulong)_file.Length)
        {
            // qemu reads zeros there, which never parse as a valid entry: fail without allocating them.
            why = "the bitmap directory reaches beyond the end of the file";
            return null;
        }
        var dir = new byte[size];
        _file.Read(_geometry.BitmapDirectoryOffset, dir);
        var list = new List<BitmapTableRef>();
        var pos = 0L;
        var count = 0U;
        while (pos < dir.LongLength)
        {
            if (pos % 8 != 0)
            {
                why = "Unaligned bitmap directory entry";
                return null;
            }
            if (pos + BitmapDirEntryHeaderSize > dir.LongLength)
            {
                why = "Broken bitmap directory";
                return null;
            }
            if (++count > _geometry.NbBitmaps)
            {
                why = "More bitmaps found than specified in header extension";
                return null;
            }
            var entry = dir.AsSpan((int)pos);
            var tableOffset = BinaryPrimitives.ReadUInt64BigEndian(entry);
            var tableSize = BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            var flags = BinaryPrimitives.ReadUInt32BigEndian(entry[12..]);
            var type = entry[16];
            var granularityBits = entry[17];
            var nameSize = BinaryPrimitives.ReadUInt16BigEndian(entry[18..]);
            var extraSize = BinaryPrimitives.ReadUInt32BigEndian(entry[20..]);
            var entrySize = (BitmapDirEntryHeaderSize + (long)nameSize + extraSize + 7) & ~7L;
            if (pos + entrySize > dir.LongLength)
            {
                why = "Broken bitmap directory";
                return null;
            }
            if (extraSize != 0)
            {
                why = "Bitmap extra data is not supported";
                return null;
            }
            var name = System.Text.Encoding.UTF8.GetString(entry.Slice(BitmapDirEntryHeaderSize, nameSize));
            var physBytes = (ulong)tableSize * (ulong)_geometry.ClusterSize;
            var bad = tableSize == 0 || tableOffset == 0 || _geometry.OffsetIntoCluster(tableOffset) != 0 || tableSize > BitmapMaxTableSize
                || granularityBits > 31 || granularityBits < 9 || (flags & 0xfffffffc) != 0 || nameSize > 1023 || type != 1
                || physBytes > BitmapMaxPhysSize
                || ((flags & 1) == 0 && _geometry.VirtualSize > ((physBytes * 8) << granularityBits));
            if (bad)
            {
                why = $"Bitmap '{name}' doesn't satisfy the constraints";
                return null;
            }
            list.Add(new BitmapTableRef(tableOffset, tableSize, name, (long)(_geometry.BitmapDirectoryOffset + (ulong)pos)));
            pos += entrySize;
        }
        if (count != _geometry.NbBitmaps)
        {
            why = "Less bitmaps found than specified in header extension";
            return null;
        }
        return list;
    }
}
