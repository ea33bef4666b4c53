namespace QcowKit.Seed.Partitioning;

/// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as GPT uses it for headers and entry arrays.</summary>
internal static class Crc32
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        // Bitwise rather than table-driven: GPT checksums cover at most 16 KiB, once per image.
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
