namespace QcowKit.Resize;

/// <summary>What <see cref="QcowResizer.Resize"/> does: <c>qemu-img resize [-f FMT] [--shrink] IMAGE [+|-]SIZE</c>.</summary>
public sealed record QcowResizeOptions
{
    /// <summary>The new size, or the amount to add or remove (<see cref="QcowSizeChange.Parse"/> reads qemu's spelling).</summary>
    public required QcowSizeChange Size { get; init; }

    /// <summary>Allow the image to become smaller (qemu-img's <c>--shrink</c>).</summary>
    public bool Shrink { get; init; }

    /// <summary>The image's format; probed like qemu when null. A qcow2 image given as raw is resized as a raw file, as qemu does.</summary>
    public QcowImageFormat? Format { get; init; }
}
