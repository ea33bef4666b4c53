namespace QcowKit.Format;

/// <summary>
/// A header extension this library does not interpret. Kept with its bytes so that rewriting the
/// header preserves it, as qemu does.
/// </summary>
internal sealed class HeaderExtension
{
    internal HeaderExtension(uint type, byte[] data, long fileOffset)
    {
        Type = type;
        Data = data;
        FileOffset = fileOffset;
    }

    /// <summary>The extension's magic.</summary>
    internal uint Type { get; }

    /// <summary>The extension's data (length bytes, without padding).</summary>
    internal byte[] Data { get; }

    /// <summary>Where the extension header starts in the file, or -1 for one not read from a file.</summary>
    internal long FileOffset { get; }
}
