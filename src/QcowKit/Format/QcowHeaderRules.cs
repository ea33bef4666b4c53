namespace QcowKit.Format;

/// <summary>Which of qemu's header rules <see cref="QcowHeader.Parse(ReadOnlySpan{byte}, long, QcowHeaderRules)"/> applies.</summary>
internal enum QcowHeaderRules
{
    /// <summary>
    /// qcow2_do_open for a normal read-only open, exactly: the refcount, L1 and snapshot tables need
    /// qemu's size limits and alignment but may extend past the end of the file, where they read as
    /// zeros (qemu's qcow2_validate_table has no end-of-file bound). Readers allocate only the part of
    /// a table the file holds.
    /// </summary>
    Open,

    /// <summary>
    /// <see cref="Open"/> plus QcowKit's own bound for opens that write: every table must lie inside
    /// the file, so that nothing written is placed from a header value the file cannot back.
    /// </summary>
    Write,

    /// <summary>
    /// qcow2_do_open with BDRV_O_CHECK, as <c>qemu-img check</c> opens an image: a refcount table of zero
    /// clusters is allowed, the snapshot table pointer is not validated (the check reads and reports it),
    /// and tables may extend past the end of the file (they read as zeros). Every other rule still holds.
    /// </summary>
    Check,
}
