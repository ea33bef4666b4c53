using QcowKit.Fixtures.Content;
using QcowKit.Format;

namespace QcowKit.Fixtures;

/// <summary>
/// Everything that determines a fixture's bytes. Two builds from equal options give byte-identical
/// files. Build one with <see cref="QcowFixture.Create(long)"/> and the builder's <c>With...</c> methods.
/// </summary>
public sealed record QcowFixtureOptions
{
    /// <summary>Virtual disk size in bytes (a multiple of 512).</summary>
    public long VirtualSize { get; init; } = 1024 * 1024;

    /// <summary>qcow2 version: 2 (compat 0.10) or 3 (compat 1.1).</summary>
    public int Version { get; init; } = 3;

    /// <summary>Cluster size in bytes: a power of two from 512 to 2 MiB.</summary>
    public int ClusterSize { get; init; } = 65536;

    /// <summary>Refcount width in bits: 1, 2, 4, 8, 16, 32 or 64 (version 2: 16 only).</summary>
    public int RefcountBits { get; init; } = 16;

    /// <summary>Extended L2 entries (incompatible bit 4; clusters of at least 16 KiB).</summary>
    public bool ExtendedL2 { get; init; }

    /// <summary>The lazy refcounts compatible bit.</summary>
    public bool LazyRefcounts { get; init; }

    /// <summary>The dirty incompatible bit (bit 0).</summary>
    public bool Dirty { get; init; }

    /// <summary>The corrupt incompatible bit (bit 1).</summary>
    public bool CorruptBit { get; init; }

    /// <summary>How compressed clusters are encoded; zstd sets incompatible bit 3.</summary>
    public CompressionType CompressionType { get; init; } = CompressionType.Deflate;

    /// <summary>Fraction (0..1) of the eligible data clusters written compressed.</summary>
    public double CompressedFraction { get; init; }

    /// <summary>Seed of the content generator.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The guest content; null gives <see cref="FixtureContent.DefaultMix"/>.</summary>
    public FixtureContent? Content { get; init; }

    /// <summary>Backing image kind.</summary>
    public FixtureBacking Backing { get; init; }

    /// <summary>External data file kind.</summary>
    public FixtureDataFile DataFile { get; init; }

    /// <summary>Internal snapshots taken of the final content (each shares every cluster with the active layer).</summary>
    public int Snapshots { get; init; }

    /// <summary>Persistent dirty bitmaps in the bitmap directory (sets autoclear bit 0).</summary>
    public int Bitmaps { get; init; }

    /// <summary>Raw bits OR-ed into incompatible_features, for negative tests (e.g. unknown bits).</summary>
    public ulong ExtraIncompatibleBits { get; init; }

    /// <summary>Raw bits OR-ed into compatible_features.</summary>
    public ulong ExtraCompatibleBits { get; init; }

    /// <summary>Raw bits OR-ed into autoclear_features.</summary>
    public ulong ExtraAutoclearBits { get; init; }

    /// <summary>Corruptions applied after the image is built, in order.</summary>
    public IReadOnlyList<Corruption> Corruptions { get; init; } = [];

    internal int ClusterBits => System.Numerics.BitOperations.Log2((uint)ClusterSize);

    internal int RefcountOrder => System.Numerics.BitOperations.Log2((uint)RefcountBits);

    /// <summary>Throws <see cref="ArgumentException"/> for a combination qcow2 or qemu does not allow.</summary>
    public void Validate()
    {
        Require(VirtualSize > 0 && VirtualSize % 512 == 0, "VirtualSize must be a positive multiple of 512");
        Require(ClusterSize is >= 512 and <= 2 * 1024 * 1024 && (ClusterSize & (ClusterSize - 1)) == 0, "ClusterSize must be a power of two from 512 to 2 MiB");
        Require(RefcountBits is 1 or 2 or 4 or 8 or 16 or 32 or 64, "RefcountBits must be 1, 2, 4, 8, 16, 32 or 64");
        Require(Version is 2 or 3, "Version must be 2 or 3");
        if (Version == 2)
        {
            Require(RefcountBits == 16, "version 2 images have 16-bit refcounts only");
            Require(!ExtendedL2 && !LazyRefcounts && !Dirty && !CorruptBit && CompressionType == CompressionType.Deflate
                && DataFile == FixtureDataFile.Internal && Bitmaps == 0
                && ExtraIncompatibleBits == 0 && ExtraCompatibleBits == 0 && ExtraAutoclearBits == 0,
                "version 2 images have no feature bits (extended L2, lazy refcounts, dirty, corrupt, zstd, data file, bitmaps)");
        }
        Require(!ExtendedL2 || ClusterSize >= 16 * 1024, "extended L2 entries need clusters of at least 16 KiB");
        Require(CompressedFraction is >= 0 and <= 1, "CompressedFraction must be 0..1");
        Require(CompressedFraction == 0 || DataFile == FixtureDataFile.Internal, "compressed clusters are not allowed with an external data file");
        Require(Snapshots is >= 0 and <= 16, "Snapshots must be 0..16");
        Require(Snapshots == 0 || DataFile == FixtureDataFile.Internal, "internal snapshots are not allowed with an external data file");
        Require(Snapshots == 0 || RefcountBits > 1, "snapshots share clusters (refcount 2): 1-bit refcounts cannot hold that");
        // A snapshot adds one reference to every cluster; compressed clusters also share host clusters, so with
        // 2-bit refcounts (maximum 3) qemu itself fails to take the snapshot ("refcount overflow").
        Require(RefcountBits != 2 || Snapshots <= 2, "RefcountBits 2 holds refcounts up to 3: Snapshots must be 0..2 (each snapshot adds a reference)");
        Require(RefcountBits != 2 || Snapshots == 0 || CompressedFraction == 0,
            "RefcountBits 2 with Snapshots and CompressedFraction: compressed clusters sharing a host cluster, shared again by a snapshot, exceed refcount 3");
        Require(Bitmaps is >= 0 and <= 16, "Bitmaps must be 0..16");
        Require(!(Backing != FixtureBacking.None && DataFile == FixtureDataFile.ExternalRaw), "a raw external data file conflicts with a backing file");
        if (Content is not null)
        {
            Require(Content.Length <= VirtualSize, "the content is longer than the virtual size");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
