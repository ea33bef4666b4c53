using System.Text;

namespace QcowKit.Format;

/// <summary>Which feature field a feature name table entry describes.</summary>
public enum FeatureType : byte
{
    /// <summary>A bit of incompatible_features.</summary>
    Incompatible = 0,
    /// <summary>A bit of compatible_features.</summary>
    Compatible = 1,
    /// <summary>A bit of autoclear_features.</summary>
    Autoclear = 2,
}

/// <summary>One 48-byte entry of the feature name table extension: type, bit number, NUL-padded name.</summary>
public readonly record struct FeatureNameTableEntry(FeatureType Type, byte Bit, string Name)
{
    /// <summary>The table qemu 7.2 writes into every v3 image it creates.</summary>
    public static IReadOnlyList<FeatureNameTableEntry> QemuDefaults { get; } =
    [
        new(FeatureType.Incompatible, 0, "dirty bit"),
        new(FeatureType.Incompatible, 1, "corrupt bit"),
        new(FeatureType.Incompatible, 2, "external data file"),
        new(FeatureType.Incompatible, 3, "compression type"),
        new(FeatureType.Incompatible, 4, "extended L2 entries"),
        new(FeatureType.Compatible, 0, "lazy refcounts"),
        new(FeatureType.Autoclear, 0, "bitmaps"),
        new(FeatureType.Autoclear, 1, "raw external data"),
    ];

    /// <summary>Parses the whole extension body; a trailing partial entry is ignored, as qemu does.</summary>
    internal static List<FeatureNameTableEntry> ReadTable(ReadOnlySpan<byte> data)
    {
        var entries = new List<FeatureNameTableEntry>(data.Length / QcowLimits.FeatureNameEntrySize);
        for (var at = 0; at + QcowLimits.FeatureNameEntrySize <= data.Length; at += QcowLimits.FeatureNameEntrySize)
        {
            var entry = data.Slice(at, QcowLimits.FeatureNameEntrySize);
            var name = entry.Slice(2, QcowLimits.FeatureNameLength);
            var end = name.IndexOf((byte)0);
            entries.Add(new FeatureNameTableEntry((FeatureType)entry[0], entry[1], Encoding.UTF8.GetString(end >= 0 ? name[..end] : name)));
        }
        return entries;
    }

    /// <summary>Writes one entry into 48 bytes.</summary>
    internal void Write(Span<byte> destination)
    {
        destination[..QcowLimits.FeatureNameEntrySize].Clear();
        destination[0] = (byte)Type;
        destination[1] = Bit;
        var name = Encoding.UTF8.GetBytes(Name);
        if (name.Length > QcowLimits.FeatureNameLength)
        {
            throw new ArgumentException($"Feature name '{Name}' is longer than {QcowLimits.FeatureNameLength} bytes.", nameof(destination));
        }
        name.CopyTo(destination[2..]);
    }

    /// <summary>Names the set bits of <paramref name="mask"/> from a table, falling back to the bit numbers.</summary>
    internal static string Describe(IReadOnlyList<FeatureNameTableEntry> table, FeatureType type, ulong mask)
    {
        var parts = new List<string>();
        foreach (var entry in table)
        {
            if (entry.Type == type && entry.Bit < 64 && (mask & (1UL << entry.Bit)) != 0)
            {
                parts.Add($"'{entry.Name}' (bit {entry.Bit})");
                mask &= ~(1UL << entry.Bit);
            }
        }
        for (var bit = 0; bit < 64; bit++)
        {
            if ((mask & (1UL << bit)) != 0)
            {
                parts.Add($"unknown bit {bit}");
            }
        }
        return string.Join(", ", parts);
    }

    /// <summary>Size of the table's extension body.</summary>
    internal static int TableSize(int count) => count * QcowLimits.FeatureNameEntrySize;

    internal static void WriteTable(IReadOnlyList<FeatureNameTableEntry> table, Span<byte> destination)
    {
        for (var i = 0; i < table.Count; i++)
        {
            table[i].Write(destination.Slice(i * QcowLimits.FeatureNameEntrySize));
        }
    }
}
