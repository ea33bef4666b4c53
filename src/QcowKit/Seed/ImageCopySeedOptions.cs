namespace QcowKit.Seed;

/// <summary>
/// A disk image's guest contents (raw, or qcow2 with its backing chain) copied into the target at an offset;
/// ranges that read as zeros are skipped.
/// </summary>
public sealed class ImageCopySeedOptions
{
    /// <summary>The image to copy.</summary>
    public required string SourcePath { get; init; }

    /// <summary>"raw" or "qcow2"; null probes the file like qemu (qcow2 magic, else raw).</summary>
    public QcowImageFormat? SourceFormat { get; init; }

    /// <summary>Byte offset in the target's guest disk where the copy starts; a multiple of 512.</summary>
    public long TargetOffset { get; init; }
}
