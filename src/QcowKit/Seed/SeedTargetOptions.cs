namespace QcowKit.Seed;

/// <summary>Where seeded content goes and how the target image is created or opened.</summary>
public sealed class SeedTargetOptions
{
    /// <summary>
    /// Format of the target file. Null decides: a new target with <c>.qcow2</c> in its name is qcow2, any other raw;
    /// an existing target (<see cref="UseExisting"/>) is probed from its first bytes, as qemu does.
    /// </summary>
    public QcowImageFormat? Format { get; init; }

    /// <summary>
    /// Guest disk size in bytes for a new image (a multiple of 512). Null: the smallest size the content
    /// needs (rounded up to whole MiB for file systems).
    /// </summary>
    public long? Size { get; init; }

    /// <summary>
    /// qemu-img create options for a new qcow2 target, as for <c>-o</c> (e.g. <c>cluster_size=65536,compression_type=zstd</c>);
    /// the disk size comes from <see cref="Size"/> or the content. Ignored for raw targets.
    /// </summary>
    public string? Qcow2Options { get; init; }

    /// <summary>Replace an existing target file with a new image. Without it an existing target is an error.</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Write into the existing target instead of creating one: its size is kept, content must fit in it, and
    /// blocks the content leaves zero are zeroed only where the target holds data.
    /// </summary>
    public bool UseExisting { get; init; }
}
