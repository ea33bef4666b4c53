using System.Buffers.Binary;

namespace QcowKit.Seed;

/// <summary>
/// Seeded pseudo-random bytes where each 4 KiB block depends only on the seed and the block's index, so any
/// range can be produced (or verified) without generating what precedes it. SplitMix64 is enough: the data has
/// to be incompressible-looking and reproducible, not secure.
/// </summary>
internal static class DeterministicData
{
    internal const int BlockSize = 4096;

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="position"/> of the stream for <paramref name="seed"/>.</summary>
    public static void Fill(long seed, int zeroBlockPercent, long position, Span<byte> destination)
    {
        Span<byte> block = stackalloc byte[BlockSize];
        var written = 0;
        while (written < destination.Length)
        {
            var absolute = position + written;
            var blockIndex = absolute / BlockSize;
            var inBlock = (int)(absolute % BlockSize);
            var count = Math.Min(BlockSize - inBlock, destination.Length - written);
            GenerateBlock(seed, zeroBlockPercent, blockIndex, block);
            block.Slice(inBlock, count).CopyTo(destination.Slice(written, count));
            written += count;
        }
    }

    private static void GenerateBlock(long seed, int zeroBlockPercent, long blockIndex, Span<byte> block)
    {
        var state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)blockIndex * 0xD1B54A32D192ED03UL);
        if (zeroBlockPercent > 0 && (int)(Next(ref state) % 100) < zeroBlockPercent)
        {
            block.Clear();
            return;
        }
        for (var i = 0; i < block.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(block[i..], Next(ref state));
        }
    }

    private static ulong Next(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
