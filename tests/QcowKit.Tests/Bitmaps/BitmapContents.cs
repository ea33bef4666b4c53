using System.Buffers.Binary;
using QcowKit.Format;
using QcowKit.Image;

namespace QcowKit.Tests.Bitmaps;

/// <summary>One persistent bitmap as stored: its flags, table size and dirty guest ranges (decoded from the data clusters).</summary>
internal sealed record BitmapContent(string Name, bool InUse, bool Auto, long Granularity, uint TableSize, IReadOnlyList<(long Start, long End)> Dirty)
{
    public override string ToString() =>
        $"{Name} in_use={InUse} auto={Auto} granularity={Granularity} table={TableSize} dirty=[{string.Join(", ", Dirty.Select(d => $"{d.Start}-{d.End}"))}]";
}

/// <summary>Decodes every bitmap of an image with the engine's directory parser and a plain reading of the bitmap tables.</summary>
internal static class BitmapContents
{
    public static IReadOnlyList<BitmapContent> Read(string path)
    {
        using var image = QcowImage.Open(path);
        var bytes = File.ReadAllBytes(path);
        var clusterSize = image.ClusterSize;
        var result = new List<BitmapContent>();
        foreach (var entry in image.BitmapEntries)
        {
            var bits = (image.VirtualSize + entry.Granularity - 1) / entry.Granularity;
            var dirty = new List<(long Start, long End)>();
            for (var i = 0; i < entry.BitmapTableSize; i++)
            {
                var raw = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan((int)entry.BitmapTableOffset + (i * 8)));
                var tableEntry = new BitmapTableEntry(raw);
                for (var b = 0L; b < clusterSize * 8L; b++)
                {
                    var bit = (i * clusterSize * 8L) + b;
                    if (bit >= bits)
                    {
                        break;
                    }
                    var set = tableEntry.DataOffset != 0
                        ? (bytes[tableEntry.DataOffset + (b >> 3)] & (1 << (int)(b & 7))) != 0
                        : tableEntry.AllOnes;
                    if (!set)
                    {
                        continue;
                    }
                    var start = bit * entry.Granularity;
                    if (dirty.Count > 0 && dirty[^1].End == start)
                    {
                        dirty[^1] = (dirty[^1].Start, start + entry.Granularity);
                    }
                    else
                    {
                        dirty.Add((start, start + entry.Granularity));
                    }
                }
            }
            result.Add(new BitmapContent(entry.Name, (entry.Flags & BitmapFlags.InUse) != 0, (entry.Flags & BitmapFlags.Auto) != 0,
                entry.Granularity, entry.BitmapTableSize, dirty));
        }
        return result;
    }
}
