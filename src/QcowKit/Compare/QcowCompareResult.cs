namespace QcowKit.Compare;

/// <summary>The outcome of <see cref="QcowComparer"/>, with the lines <c>qemu-img compare</c> prints.</summary>
/// <param name="Identical">The guest contents are equal (exit code 0 of <c>qemu-img compare</c>).</param>
/// <param name="FirstDifferenceOffset">
/// Guest offset of the first differing 512-byte sector, or of the first block-status difference in
/// strict mode; null when identical or when strict mode stopped at a size mismatch.
/// </param>
/// <param name="Lines">What qemu prints, in order (a size warning, then the verdict).</param>
public sealed record QcowCompareResult(bool Identical, long? FirstDifferenceOffset, IReadOnlyList<string> Lines)
{
    /// <summary>The verdict line, e.g. <c>Images are identical.</c> or <c>Content mismatch at offset 1048576!</c>.</summary>
    public string Message => Lines.Count == 0 ? string.Empty : Lines[^1];
}
