namespace QcowKit.Fixtures.Content;

/// <summary>What a stretch of guest content holds.</summary>
public enum ContentKind
{
    /// <summary>English prose (Bogus lorem paragraphs), as a text file would hold.</summary>
    Text,

    /// <summary>JSON lines: one record (id, name, email, company, amount, timestamp) per line.</summary>
    Json,

    /// <summary>Log lines with ISO-8601 timestamps, levels and components.</summary>
    LogLines,

    /// <summary>Uniformly random bytes: incompressible.</summary>
    RandomBinary,

    /// <summary>Explicit zeros: stored as zero clusters (zero flag or subcluster zero bits) where the format allows.</summary>
    Zeros,

    /// <summary>Never written: unallocated, reads as zeros or from the backing image.</summary>
    Hole,

    /// <summary>Bytes supplied by the caller.</summary>
    Bytes,
}
