using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using QcowKit.Json;

namespace QcowKit.Measure;

/// <summary>
/// What <c>qemu-img measure</c> reports: the file size a conversion needs and the size of the fully allocated
/// image, both in bytes, plus the space persistent bitmaps would take when both formats keep them.
/// </summary>
/// <param name="Required">qemu's <c>required</c>: the metadata of a fully allocated image plus the clusters that hold data.</param>
/// <param name="FullyAllocated">qemu's <c>fully-allocated</c>: the file size with every cluster allocated.</param>
/// <param name="Bitmaps">qemu's <c>bitmaps</c>: bytes for the source's persistent bitmaps; null when qemu does not report it.</param>
public sealed record QcowMeasurement(long Required, long FullyAllocated, long? Bitmaps)
{
    /// <summary><c>qemu-img measure</c>'s human output, one figure a line.</summary>
    public string ToHuman()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"required size: {Required}\n");
        text.Append(CultureInfo.InvariantCulture, $"fully allocated size: {FullyAllocated}\n");
        if (Bitmaps is { } bitmaps) text.Append(CultureInfo.InvariantCulture, $"bitmaps size: {bitmaps}\n");
        return text.ToString();
    }

    /// <summary><c>qemu-img measure --output=json</c>: its keys in its (QDict) order, with a final newline.</summary>
    public string ToJson()
    {
        var document = new JsonObject();
        if (Bitmaps is { } bitmaps) document["bitmaps"] = bitmaps;
        document["required"] = Required;
        document["fully-allocated"] = FullyAllocated;
        return QemuJson.Serialize(document) + "\n";
    }
}
