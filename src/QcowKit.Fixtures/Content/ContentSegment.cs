namespace QcowKit.Fixtures.Content;

/// <summary>One stretch of guest content: a kind and a length, or the supplied bytes.</summary>
/// <param name="Kind">What the stretch holds.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="Data">The bytes for <see cref="ContentKind.Bytes"/>; null otherwise.</param>
public sealed record ContentSegment(ContentKind Kind, long Length, ReadOnlyMemory<byte>? Data = null)
{
    /// <summary>A short form for manifests, e.g. <c>json:65536</c>.</summary>
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Length}";
}
