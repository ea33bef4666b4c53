namespace QcowKit.Format;

/// <summary>What an L2 entry says about one (sub)cluster; mirrors qemu's QCow2SubclusterType.</summary>
public enum SubclusterType
{
    /// <summary>Data at the host offset.</summary>
    Normal,

    /// <summary>Compressed cluster.</summary>
    Compressed,

    /// <summary>Reads as zeros, no host cluster.</summary>
    ZeroPlain,

    /// <summary>Reads as zeros, a host cluster is preallocated.</summary>
    ZeroAlloc,

    /// <summary>Not allocated here: falls through to the backing file; no host cluster.</summary>
    UnallocatedPlain,

    /// <summary>Not allocated here (extended L2) although the cluster has a host cluster: falls through to the backing file.</summary>
    UnallocatedAlloc,

    /// <summary>The entry's bitmaps contradict each other.</summary>
    Invalid,
}
