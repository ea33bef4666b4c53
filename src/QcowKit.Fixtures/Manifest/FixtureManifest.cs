using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QcowKit.Fixtures.Manifest;

/// <summary>manifest.json of a fixture folder: every fixture's options, files and expected verdict.</summary>
public sealed record FixtureManifest
{
    /// <summary>The file name the generator writes.</summary>
    public const string FileName = "manifest.json";

    // Source-generated metadata (no reflection) so the CLI's fixture verb also works when published NativeAOT;
    // the generic enum converters are the AOT-safe form of one kebab-case JsonStringEnumConverter.
    private static readonly FixtureManifestJsonContext Json = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters =
        {
            new JsonStringEnumConverter<FixtureBacking>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<FixtureDataFile>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<FixtureFileRole>(JsonNamingPolicy.KebabCaseLower),
        },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    });

    /// <summary>What made the files.</summary>
    public string Generator { get; init; } = "QcowKit.Fixtures";

    /// <summary>The seed every fixture was built with, or null when each used its catalogue seed.</summary>
    public int? Seed { get; init; }

    /// <summary>The fixtures, in catalogue order.</summary>
    public IReadOnlyList<ManifestFixture> Fixtures { get; init; } = [];

    /// <summary>Serializes with a fixed property order and "\n" line ends, so equal manifests are equal bytes.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json.FixtureManifest).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";

    /// <summary>Parses a manifest.</summary>
    public static FixtureManifest Parse(string json) =>
        JsonSerializer.Deserialize(json, Json.FixtureManifest) ?? throw new JsonException("manifest.json is empty");

    /// <summary>Reads <c>manifest.json</c> from <paramref name="directory"/>.</summary>
    public static FixtureManifest Read(string directory) => Parse(File.ReadAllText(Path.Combine(directory, FileName)));

    /// <summary>The manifest entry for a built fixture, with file paths relative to <paramref name="directory"/>.</summary>
    public static ManifestFixture Describe(FixtureDefinition definition, BuiltFixture built, string directory)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(built);
        var o = built.Options;
        return new ManifestFixture
        {
            Name = definition.Name,
            Description = definition.Description,
            Corruption = definition.Corruption is { } c ? CorruptionCatalogue.Get(c).Name : null,
            Options = new ManifestOptions
            {
                VirtualSize = o.VirtualSize,
                Version = o.Version,
                ClusterSize = o.ClusterSize,
                RefcountBits = o.RefcountBits,
                ExtendedL2 = o.ExtendedL2,
                LazyRefcounts = o.LazyRefcounts,
                Dirty = o.Dirty,
                CorruptBit = o.CorruptBit,
                CompressionType = o.CompressionType.ToString().ToLowerInvariant(),
                CompressedFraction = o.CompressedFraction.ToString("0.###", CultureInfo.InvariantCulture),
                Seed = o.Seed,
                Content = o.Content?.ToString() ?? "default-mix",
                Backing = o.Backing,
                DataFile = o.DataFile,
                Snapshots = o.Snapshots,
                Bitmaps = o.Bitmaps,
                ExtraIncompatibleBits = Hex(o.ExtraIncompatibleBits),
                ExtraCompatibleBits = Hex(o.ExtraCompatibleBits),
                ExtraAutoclearBits = Hex(o.ExtraAutoclearBits),
            },
            Files = [.. built.Files.Select(f => new ManifestFile
            {
                Path = Path.GetRelativePath(directory, f.Path).Replace('\\', '/'),
                Role = f.Role,
                Length = f.Length,
                Sha256 = f.Sha256,
            })],
            Expected = built.Expected,
        };
    }

    private static string Hex(ulong bits) => "0x" + bits.ToString("x", CultureInfo.InvariantCulture);
}

/// <summary>One fixture in the manifest.</summary>
public sealed record ManifestFixture
{
    /// <summary>Catalogue name.</summary>
    public string Name { get; init; } = "";

    /// <summary>What it is.</summary>
    public string Description { get; init; } = "";

    /// <summary>Kebab-case corruption name, or null for none.</summary>
    public string? Corruption { get; init; }

    /// <summary>The options it was built from.</summary>
    public ManifestOptions Options { get; init; } = new();

    /// <summary>Its files (image first).</summary>
    public IReadOnlyList<ManifestFile> Files { get; init; } = [];

    /// <summary>What qemu must say about it.</summary>
    public ExpectedVerdict Expected { get; init; } = new();
}

/// <summary>A fixture's options as the manifest records them.</summary>
public sealed record ManifestOptions
{
    /// <summary>Virtual size in bytes.</summary>
    public long VirtualSize { get; init; }

    /// <summary>qcow2 version.</summary>
    public int Version { get; init; }

    /// <summary>Cluster size in bytes.</summary>
    public int ClusterSize { get; init; }

    /// <summary>Refcount width.</summary>
    public int RefcountBits { get; init; }

    /// <summary>Extended L2 entries.</summary>
    public bool ExtendedL2 { get; init; }

    /// <summary>Lazy refcounts bit.</summary>
    public bool LazyRefcounts { get; init; }

    /// <summary>Dirty bit.</summary>
    public bool Dirty { get; init; }

    /// <summary>Corrupt bit.</summary>
    public bool CorruptBit { get; init; }

    /// <summary>deflate or zstd.</summary>
    public string CompressionType { get; init; } = "deflate";

    /// <summary>Fraction of eligible clusters compressed, invariant-culture text.</summary>
    public string CompressedFraction { get; init; } = "0";

    /// <summary>Content seed.</summary>
    public int Seed { get; init; }

    /// <summary>Content segments (<c>kind:length ...</c>) or <c>default-mix</c>.</summary>
    public string Content { get; init; } = "";

    /// <summary>Backing kind.</summary>
    public FixtureBacking Backing { get; init; }

    /// <summary>Data file kind.</summary>
    public FixtureDataFile DataFile { get; init; }

    /// <summary>Internal snapshots.</summary>
    public int Snapshots { get; init; }

    /// <summary>Persistent bitmaps.</summary>
    public int Bitmaps { get; init; }

    /// <summary>Raw incompatible bits, hex.</summary>
    public string ExtraIncompatibleBits { get; init; } = "0x0";

    /// <summary>Raw compatible bits, hex.</summary>
    public string ExtraCompatibleBits { get; init; } = "0x0";

    /// <summary>Raw autoclear bits, hex.</summary>
    public string ExtraAutoclearBits { get; init; } = "0x0";
}

/// <summary>A file of a fixture.</summary>
public sealed record ManifestFile
{
    /// <summary>Path relative to the manifest's folder, '/'-separated.</summary>
    public string Path { get; init; } = "";

    /// <summary>What it is for.</summary>
    public FixtureFileRole Role { get; init; }

    /// <summary>Length in bytes.</summary>
    public long Length { get; init; }

    /// <summary>SHA-256, lower-case hex.</summary>
    public string Sha256 { get; init; } = "";
}

/// <summary>Compile-time JSON metadata for <see cref="FixtureManifest"/>; options are supplied at construction.</summary>
[JsonSerializable(typeof(FixtureManifest))]
internal sealed partial class FixtureManifestJsonContext : JsonSerializerContext;
