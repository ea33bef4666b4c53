namespace QcowKit;

/// <summary>The qemu <c>preallocation</c> create option.</summary>
public enum QcowPreallocation
{
    /// <summary>No clusters allocated: the image holds only metadata for an empty disk.</summary>
    Off,

    /// <summary>L2 tables and data clusters allocated and mapped, data left as holes in the file.</summary>
    Metadata,

    /// <summary>Like <see cref="Metadata"/>, with the data clusters' space reserved in the file system.</summary>
    Falloc,

    /// <summary>Like <see cref="Metadata"/>, with zeros written to every data cluster.</summary>
    Full,
}
