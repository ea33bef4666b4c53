namespace QcowKit.Seed;

/// <summary>
/// One seeding run as every surface describes it: exactly one kind of content and the target's options.
/// <see cref="QcowSeeder.Seed(string, QcowSeedRequest, CancellationToken)"/> checks the choice, so the CLI, Cake and
/// MSBuild refuse "none" and "two at once" with the same words.
/// </summary>
public sealed record QcowSeedRequest
{
    /// <summary>A folder written as a FAT file system.</summary>
    public FatSeedOptions? Directory { get; init; }

    /// <summary>A cloud-init NoCloud seed.</summary>
    public CloudInitSeedOptions? CloudInit { get; init; }

    /// <summary>An image copied in at an offset.</summary>
    public ImageCopySeedOptions? CopyImage { get; init; }

    /// <summary>Deterministic test data.</summary>
    public GeneratedDataSeedOptions? GeneratedData { get; init; }

    /// <summary>Where the content goes: format, size, create options, overwrite or write into an existing image.</summary>
    public SeedTargetOptions Target { get; init; } = new();

    /// <summary>How many kinds of content are set (a valid request has one).</summary>
    public int ContentCount =>
        (Directory is null ? 0 : 1) + (CloudInit is null ? 0 : 1) + (CopyImage is null ? 0 : 1) + (GeneratedData is null ? 0 : 1);
}
