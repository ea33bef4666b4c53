namespace QcowKit.Format;

/// <summary>The compression_type header field (byte 104 of a v3 header): how compressed clusters are encoded.</summary>
public enum CompressionType : byte
{
    /// <summary>Raw deflate with a 4 KiB window (zlib windowBits -12); the only type before the field existed.</summary>
    Deflate = 0,

    /// <summary>Zstandard frames; requires the compression-type incompatible feature bit.</summary>
    Zstd = 1,
}
