namespace QcowKit.Check;

/// <summary>How serious a <see cref="QcowFinding"/> is.</summary>
public enum QcowFindingSeverity
{
    /// <summary>Worth knowing; the image is usable as it is.</summary>
    Info = 0,

    /// <summary>Wastes space or needs attention (leaks, dirty images, policy notes), but no data is at risk.</summary>
    Warning = 1,

    /// <summary>The image is corrupt, cannot be opened, or breaks the untrusted-image policy.</summary>
    Error = 2,
}
