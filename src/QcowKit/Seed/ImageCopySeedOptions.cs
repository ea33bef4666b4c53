namespace QcowKit.Seed;

/// <summary>A raw image (or any file taken as raw bytes) copied into the target at an offset; zero blocks are skipped.</summary>
public sealed class ImageCopySeedOptions
{
    /// <summary>The file to copy.</summary>
    public required string SourcePath { get; set; }

    /// <summary>Byte offset in the target's guest disk where the copy starts; a multiple of 512.</summary>
    public long TargetOffset { get; set; }
}
