using System.Security.Cryptography;
using QcowKit.Format;
using QcowKit.Image;

namespace QcowKit.TestSupport;

/// <summary>
/// The stored bits of every consistent persistent bitmap of a qcow2 image, read with the engine's bitmap reader
/// (qemu's tools show a bitmap's contents only through an NBD export): for each name, the count of set bits and a
/// hash of the bits that cover the disk, so that two images written by different tools can be compared.
/// </summary>
public static class StoredBitmapBits
{
    /// <summary>Name to "SET_BITS:SHA256" (or "in-use" for an inconsistent bitmap), in directory order.</summary>
    public static IReadOnlyList<string> Read(string path)
    {
        using var image = QcowImage.Open(path, new QcowOpenOptions { ExternalFiles = ExternalFilePolicy.Never, ForceShare = true });
        var result = new List<string>();
        foreach (var entry in image.BitmapEntries)
        {
            if ((entry.Flags & BitmapFlags.InUse) != 0)
            {
                result.Add($"{entry.Name}=in-use");
                continue;
            }
            var bitCount = (image.VirtualSize + entry.Granularity - 1) / entry.Granularity;
            var bits = image.ReadBitmapBits(entry).AsSpan(0, (int)((bitCount + 7) / 8)).ToArray();
            if (bitCount % 8 != 0)
            {
                bits[^1] &= (byte)((1 << (int)(bitCount % 8)) - 1);
            }
            var set = bits.Sum(b => System.Numerics.BitOperations.PopCount(b));
            result.Add($"{entry.Name}={set}:{Convert.ToHexString(SHA256.HashData(bits))}");
        }
        return result;
    }
}
