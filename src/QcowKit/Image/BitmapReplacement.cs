using QcowKit.Format;

namespace QcowKit.Image;

/// <summary>
/// One bitmap as <see cref="QcowImage.ReplaceBitmaps"/> stores it: either an existing directory entry kept with its
/// stored table (only the flags may change), or new contents that go to new clusters.
/// </summary>
/// <param name="Name">The bitmap's name.</param>
/// <param name="GranularityBits">log2 of the granularity.</param>
/// <param name="Flags">The flags to store.</param>
/// <param name="Keep">The stored entry whose table is kept, or whose clusters are freed when <paramref name="Bits"/> replaces them.</param>
/// <param name="Bits">New contents (bit n of the bitmap is bit n % 8 of byte n / 8); null to keep the stored table.</param>
internal sealed record BitmapReplacement(string Name, byte GranularityBits, BitmapFlags Flags, BitmapDirectoryEntry? Keep, byte[]? Bits);
