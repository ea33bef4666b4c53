namespace QcowKit.Commit;

/// <summary>A <c>qemu-img commit</c> request.</summary>
public sealed class QcowCommitOptions
{
    /// <summary>The image's format (<c>-f</c>); null to probe. Only qcow2 images have a backing file to commit into.</summary>
    public QcowImageFormat? ImageFormat { get; init; }

    /// <summary>
    /// The image to commit into (<c>-b</c>), a file of the backing chain named as its path or as the backing file name
    /// the chain stores; null for the immediate backing file. Giving it implies <see cref="Drop"/>, as in qemu-img.
    /// </summary>
    public string? Base { get; init; }

    /// <summary>qemu-img's <c>-d</c>: leave the committed image as it is instead of emptying it.</summary>
    public bool Drop { get; init; }
}
