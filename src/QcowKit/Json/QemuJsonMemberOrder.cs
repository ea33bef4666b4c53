namespace QcowKit.Json;

/// <summary>The order in which <see cref="QemuJson"/> writes an object's members.</summary>
public enum QemuJsonMemberOrder
{
    /// <summary>qemu's QDict iteration order (hash bucket, then most recently inserted first), as qemu-img prints.</summary>
    QDict,

    /// <summary>The order the members were added in.</summary>
    AsInserted,
}
