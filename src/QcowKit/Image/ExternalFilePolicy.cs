namespace QcowKit.Image;

/// <summary>Whether opening an image may open other files it names (backing files, external data file).</summary>
public enum ExternalFilePolicy
{
    /// <summary>Open the backing chain and the external data file, as qemu does.</summary>
    Open,

    /// <summary>
    /// Never open any file but the image itself (for untrusted images). Guest reads that would need
    /// another file fail with <see cref="InvalidOperationException"/>; metadata stays fully readable.
    /// </summary>
    Never,
}
