namespace QcowKit.Check;

/// <summary>What a cluster of the image file is, as the checker found it while counting references.</summary>
public enum QcowClusterKind
{
    /// <summary>Neither referenced nor counted by a refcount.</summary>
    Free,

    /// <summary>The qcow2 header (cluster 0).</summary>
    Header,

    /// <summary>The active L1 table.</summary>
    L1Table,

    /// <summary>An active L2 table.</summary>
    L2Table,

    /// <summary>The refcount table.</summary>
    RefcountTable,

    /// <summary>A refcount block.</summary>
    RefcountBlock,

    /// <summary>A guest data cluster (or a preallocated zero cluster).</summary>
    Data,

    /// <summary>A cluster holding compressed guest data.</summary>
    Compressed,

    /// <summary>The snapshot table.</summary>
    SnapshotTable,

    /// <summary>A snapshot's L1 or L2 table, or data only a snapshot references.</summary>
    Snapshot,

    /// <summary>The encryption header.</summary>
    EncryptionHeader,

    /// <summary>The bitmap directory.</summary>
    BitmapDirectory,

    /// <summary>A bitmap table.</summary>
    BitmapTable,

    /// <summary>A bitmap data cluster.</summary>
    BitmapData,

    /// <summary>A refcount above the references counted (qemu's leak): space wasted, data unharmed.</summary>
    Leaked,

    /// <summary>More references than the refcount allows: doubly referenced, overlapping metadata, or a refcount too low.</summary>
    MultiplyReferenced,
}
