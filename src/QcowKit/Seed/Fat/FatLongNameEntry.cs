using System.Buffers.Binary;

namespace QcowKit.Seed.Fat;

/// <summary>
/// VFAT long name entries: 13 UTF-16 code units each, stored in reverse order before the short entry, the
/// first stored one flagged 0x40, every one carrying the short name's checksum.
/// </summary>
internal static class FatLongNameEntry
{
    internal const int CharactersPerEntry = 13;
    internal const int MaxNameLength = 255;
    private const byte LastEntryFlag = 0x40;
    /// <summary>Where the 13 UTF-16 units sit in an entry: 5 at 1, 6 at 14, 2 at 28.</summary>
    private static ReadOnlySpan<byte> CharacterOffsets => [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

    public static int EntryCount(string name) => (name.Length + CharactersPerEntry - 1) / CharactersPerEntry;

    /// <summary>Writes all long name entries for <paramref name="name"/>; returns the bytes used.</summary>
    public static int Write(Span<byte> destination, string name, byte checksum)
    {
        var count = EntryCount(name);
        for (var i = 0; i < count; i++)
        {
            var sequence = count - i;
            var entry = destination.Slice(i * FatDirectoryEntry.Size, FatDirectoryEntry.Size);
            entry.Clear();
            entry[0] = (byte)(sequence | (i == 0 ? LastEntryFlag : 0));
            entry[11] = FatDirectoryEntry.AttributeLongName;
            entry[13] = checksum;
            var first = (sequence - 1) * CharactersPerEntry;
            for (var k = 0; k < CharactersPerEntry; k++)
            {
                var index = first + k;
                // After the name: one NUL terminator (when there is room), then 0xFFFF padding.
                var unit = index < name.Length ? name[index] : index == name.Length ? '\0' : '\uffff';
                BinaryPrimitives.WriteUInt16LittleEndian(entry[CharacterOffsets[k]..], unit);
            }
        }
        return count * FatDirectoryEntry.Size;
    }

    /// <summary>Why <paramref name="name"/> cannot be a VFAT long name, or null when it can.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0) return "the name is empty";
        if (name is "." or "..") return "'.' and '..' are reserved";
        if (name.Length > MaxNameLength) return $"it is {name.Length} UTF-16 code units long; FAT allows {MaxNameLength}";
        if (name.EndsWith('.') || name.EndsWith(' ')) return "FAT drops trailing dots and spaces from names";
        foreach (var c in name)
        {
            if (c < 0x20) return $"it contains the control character U+{(int)c:X4}";
            if ("\"*/:<>?\\|".Contains(c, StringComparison.Ordinal)) return $"it contains '{c}', which FAT does not allow";
        }
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(name[i])) return "it is not valid Unicode (an unpaired surrogate)";
        }
        return null;
    }
}
