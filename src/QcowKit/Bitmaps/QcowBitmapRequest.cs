namespace QcowKit.Bitmaps;

/// <summary>
/// What <c>qemu-img bitmap</c> is asked to do to one bitmap of one image: the operations apply in order, as
/// qemu-img applies its options in the order given.
/// </summary>
public sealed class QcowBitmapRequest
{
    /// <summary>The bitmap every operation acts on.</summary>
    public required string BitmapName { get; init; }

    /// <summary>The operations, in order (at least one).</summary>
    public required IReadOnlyList<QcowBitmapOperation> Operations { get; init; }

    /// <summary>
    /// <c>-g</c>: the granularity of an added bitmap in bytes; null or 0 for qemu's default (the cluster size,
    /// kept within 4 KiB..64 KiB). qemu passes it on as a 32-bit value, so larger values are refused as it refuses them.
    /// </summary>
    public long? Granularity { get; init; }

    /// <summary><c>-f</c>: the image's format; probed when null.</summary>
    public QcowImageFormat? Format { get; init; }

    /// <summary><c>-b</c>: the image that holds the bitmaps named by merge operations; null for the image itself.</summary>
    public string? SourceFile { get; init; }

    /// <summary><c>-F</c>: the format of <see cref="SourceFile"/>; probed when null.</summary>
    public QcowImageFormat? SourceFormat { get; init; }
}
