namespace QcowKit.Seed;

/// <summary>
/// A cloud-init NoCloud seed: user-data, meta-data and optional network-config and vendor-data at the root of
/// a FAT volume labelled CIDATA with no partition table, the layout cloud-localds produces.
/// </summary>
public sealed class CloudInitSeedOptions
{
    /// <summary>The file written as <c>user-data</c>.</summary>
    public required string UserDataPath { get; init; }

    /// <summary>
    /// The file written as <c>meta-data</c>. Null: <c>instance-id: iid-local01</c>, the meta-data cloud-localds
    /// writes when none is given.
    /// </summary>
    public string? MetaDataPath { get; init; }

    /// <summary>The file written as <c>network-config</c>, if any.</summary>
    public string? NetworkConfigPath { get; init; }

    /// <summary>The file written as <c>vendor-data</c>, if any.</summary>
    public string? VendorDataPath { get; init; }

    /// <summary>Volume label; cloud-init looks for CIDATA (or cidata).</summary>
    public string Label { get; init; } = "CIDATA";

    /// <summary>Fixed timestamps and serial number, as in <see cref="FatSeedOptions.Reproducible"/>.</summary>
    public bool Reproducible { get; init; }

    /// <summary>A fixed timestamp for every entry. Null: the files' last write times (UTC), or 1980-01-01 when reproducible.</summary>
    public DateTime? Timestamp { get; init; }
}
