using System.Buffers.Binary;
using System.Text;

namespace QcowKit.Format;

/// <summary>Flags of a bitmap directory entry.</summary>
[Flags]
#pragma warning disable CA1711 // "Flags" is the spec's word for this bit set.
public enum BitmapFlags : uint
#pragma warning restore CA1711
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>Bit 0, in_use: the bitmap was not saved consistently.</summary>
    InUse = 1u << 0,
    /// <summary>Bit 1, auto: the bitmap tracks guest writes while the image is open.</summary>
    Auto = 1u << 1,
    /// <summary>Bit 2, extra_data_compatible: the extra data may be ignored.</summary>
    ExtraDataCompatible = 1u << 2,
}

/// <summary>
/// One entry of the bitmap directory: a 24-byte header (bitmap table offset and size, flags, type,
/// granularity_bits, name_size, extra_data_size), extra data, the name, padded to 8 bytes.
/// </summary>
public sealed class BitmapDirectoryEntry
{
    internal const byte DirtyTrackingType = 1;

    /// <summary>File offset of the bitmap table (the spec's <c>bitmap_table_offset</c>).</summary>
    public ulong BitmapTableOffset { get; set; }
    /// <summary>Entries of the bitmap table (<c>bitmap_table_size</c>).</summary>
    public uint BitmapTableSize { get; set; }
    /// <summary>The entry's flags.</summary>
    public BitmapFlags Flags { get; set; }
    internal byte Type { get; set; } = DirtyTrackingType;
    /// <summary>log2 of the guest bytes one bit covers (<c>granularity_bits</c>).</summary>
    public byte GranularityBits { get; set; } = 16;
    /// <summary>The bitmap's name (1..1023 bytes of UTF-8).</summary>
    public string Name { get; set; } = string.Empty;
    internal byte[] ExtraData { get; set; } = [];

    /// <summary>Where the entry was read from (for error messages); -1 for an entry not read from a file.</summary>
    internal long FileOffset { get; set; } = -1;

    internal long Granularity => 1L << GranularityBits;

    /// <summary>Bytes the entry takes in the directory, padded to a multiple of 8.</summary>
    public int EncodedSize => (QcowLimits.BitmapDirectoryEntryHeaderSize + ExtraData.Length + Encoding.UTF8.GetByteCount(Name) + 7) & ~7;

    /// <summary>Parses a whole directory (already read, its size validated) of <paramref name="count"/> entries.</summary>
    internal static List<BitmapDirectoryEntry> ReadDirectory(ReadOnlySpan<byte> directory, long directoryOffset, uint count, int clusterSize)
    {
        var entries = new List<BitmapDirectoryEntry>((int)Math.Min(count, 1024u));
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            var fileOffset = directoryOffset + at;
            if (at + QcowLimits.BitmapDirectoryEntryHeaderSize > directory.Length)
            {
                throw new QcowFormatException($"bitmap directory entry {i}", fileOffset, "runs past bitmap_directory_size");
            }
            var header = directory[at..];
            var nameSize = BinaryPrimitives.ReadUInt16BigEndian(header[18..]);
            var extraSize = BinaryPrimitives.ReadUInt32BigEndian(header[20..]);
            var entry = new BitmapDirectoryEntry
            {
                BitmapTableOffset = BinaryPrimitives.ReadUInt64BigEndian(header),
                BitmapTableSize = BinaryPrimitives.ReadUInt32BigEndian(header[8..]),
                Flags = (BitmapFlags)BinaryPrimitives.ReadUInt32BigEndian(header[12..]),
                Type = header[16],
                GranularityBits = header[17],
                FileOffset = fileOffset,
            };
            if (nameSize == 0 || nameSize > QcowLimits.MaxBitmapNameSize)
            {
                throw new QcowFormatException("name_size", fileOffset + 18, $"bitmap {i}: must be 1..{QcowLimits.MaxBitmapNameSize}, is {nameSize}");
            }
            if (extraSize > (uint)directory.Length)
            {
                throw new QcowFormatException("extra_data_size", fileOffset + 20, $"bitmap {i}: {extraSize} bytes run past bitmap_directory_size");
            }
            var size = (QcowLimits.BitmapDirectoryEntryHeaderSize + (int)extraSize + nameSize + 7) & ~7;
            if (at + QcowLimits.BitmapDirectoryEntryHeaderSize + (int)extraSize + nameSize > directory.Length)
            {
                throw new QcowFormatException($"bitmap directory entry {i}", fileOffset, "runs past bitmap_directory_size");
            }
            if (entry.Type != DirtyTrackingType)
            {
                throw new QcowFormatException("type", fileOffset + 16, $"bitmap {i}: type must be 1 (dirty tracking), is {entry.Type}");
            }
            if (entry.GranularityBits is < QcowLimits.MinBitmapGranularityBits or > QcowLimits.MaxBitmapGranularityBits)
            {
                throw new QcowFormatException("granularity_bits", fileOffset + 17, $"bitmap {i}: must be {QcowLimits.MinBitmapGranularityBits}..{QcowLimits.MaxBitmapGranularityBits}, is {entry.GranularityBits}");
            }
            if ((entry.BitmapTableOffset & (ulong)(clusterSize - 1)) != 0)
            {
                throw new QcowFormatException("bitmap_table_offset", fileOffset, $"bitmap {i}: {entry.BitmapTableOffset} is not cluster-aligned");
            }
            var body = QcowLimits.BitmapDirectoryEntryHeaderSize;
            entry.ExtraData = header.Slice(body, (int)extraSize).ToArray();
            entry.Name = Encoding.UTF8.GetString(header.Slice(body + (int)extraSize, nameSize));
            entries.Add(entry);
            at += size;
        }
        return entries;
    }

    /// <summary>Writes the entry and returns its padded size.</summary>
    public int Write(Span<byte> destination)
    {
        var size = EncodedSize;
        var target = destination[..size];
        target.Clear();
        var name = Encoding.UTF8.GetBytes(Name);
        if (name.Length is 0 or > QcowLimits.MaxBitmapNameSize)
        {
            throw new InvalidOperationException($"A bitmap name must have 1..{QcowLimits.MaxBitmapNameSize} bytes.");
        }
        BinaryPrimitives.WriteUInt64BigEndian(target, BitmapTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(target[8..], BitmapTableSize);
        BinaryPrimitives.WriteUInt32BigEndian(target[12..], (uint)Flags);
        target[16] = Type;
        target[17] = GranularityBits;
        BinaryPrimitives.WriteUInt16BigEndian(target[18..], (ushort)name.Length);
        BinaryPrimitives.WriteUInt32BigEndian(target[20..], (uint)ExtraData.Length);
        ExtraData.CopyTo(target[QcowLimits.BitmapDirectoryEntryHeaderSize..]);
        name.CopyTo(target[(QcowLimits.BitmapDirectoryEntryHeaderSize + ExtraData.Length)..]);
        return size;
    }
}
