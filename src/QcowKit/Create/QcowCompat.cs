namespace QcowKit;

/// <summary>The qemu <c>compat</c> create option: which qcow2 header version an image gets.</summary>
public enum QcowCompat
{
    /// <summary><c>compat=0.10</c> (or <c>v2</c>): the 72-byte version 2 header, no feature bits.</summary>
    V2 = 2,

    /// <summary><c>compat=1.1</c> (or <c>v3</c>): the version 3 header with feature bits; qemu's default.</summary>
    V3 = 3,
}
