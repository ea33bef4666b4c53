namespace QcowKit.Fixtures.Content;

/// <summary>
/// The guest disk's content, from offset 0 on, as a sequence of segments. Whatever the segments do not
/// cover is a hole. Build one fluently: <c>new FixtureContent().Text(64 * 1024).Hole(32 * 1024).Json(16 * 1024)</c>.
/// </summary>
public sealed class FixtureContent
{
    private readonly List<ContentSegment> _segments = [];

    /// <summary>The segments in guest order.</summary>
    public IReadOnlyList<ContentSegment> Segments => _segments;

    /// <summary>Bytes covered by the segments.</summary>
    public long Length => _segments.Sum(s => s.Length);

    /// <summary>Appends English prose.</summary>
    public FixtureContent Text(long length) => Add(ContentKind.Text, length);

    /// <summary>Appends JSON lines.</summary>
    public FixtureContent Json(long length) => Add(ContentKind.Json, length);

    /// <summary>Appends log lines.</summary>
    public FixtureContent LogLines(long length) => Add(ContentKind.LogLines, length);

    /// <summary>Appends random (incompressible) bytes.</summary>
    public FixtureContent RandomBinary(long length) => Add(ContentKind.RandomBinary, length);

    /// <summary>Appends explicit zeros (zero clusters where the format has them).</summary>
    public FixtureContent Zeros(long length) => Add(ContentKind.Zeros, length);

    /// <summary>Appends a hole (unallocated).</summary>
    public FixtureContent Hole(long length) => Add(ContentKind.Hole, length);

    /// <summary>Appends the caller's bytes.</summary>
    public FixtureContent Bytes(ReadOnlyMemory<byte> data)
    {
        _segments.Add(new ContentSegment(ContentKind.Bytes, data.Length, data));
        return this;
    }

    /// <summary>
    /// The default mix: per cluster, in a fixed rotation, text, JSON, a hole, log lines, zeros, random
    /// bytes, text again and a hole, so every kind of content and every cluster state appears.
    /// </summary>
    public static FixtureContent DefaultMix(long virtualSize, int clusterSize) => new FixtureContent().Mix(virtualSize, clusterSize);

    /// <summary>Appends <paramref name="length"/> bytes of the default rotation in units of <paramref name="unit"/> bytes.</summary>
    public FixtureContent Mix(long length, int unit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(unit);
        ContentKind[] rotation = [ContentKind.Text, ContentKind.Json, ContentKind.Hole, ContentKind.LogLines,
            ContentKind.Zeros, ContentKind.RandomBinary, ContentKind.Text, ContentKind.Hole];
        for (var i = 0L; i < length / unit; i++)
        {
            Add(rotation[i % rotation.Length], unit);
        }
        return this;
    }

    private FixtureContent Add(ContentKind kind, long length)
    {
        if (kind == ContentKind.Bytes)
        {
            throw new ArgumentException("supplied bytes go through Bytes(data)", nameof(kind));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > 0)
        {
            _segments.Add(new ContentSegment(kind, length));
        }
        return this;
    }

    /// <summary>The segments in the manifest's short form, e.g. <c>text:4096 hole:4096</c>.</summary>
    public override string ToString() => string.Join(' ', _segments);
}
