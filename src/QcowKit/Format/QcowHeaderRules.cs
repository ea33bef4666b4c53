namespace QcowKit.Format;

/// <summary>Which of qemu's header rules <see cref="QcowHeader.Parse"/> applies.</summary>
internal enum QcowHeaderRules
{
    /// <summary>
    /// qcow2_do_open for a normal open, plus QcowKit's own bound: every table must lie inside the file,
    /// so that nothing is ever allocated from a header value the file cannot back.
    /// </summary>
    Open,

    /// <summary>
    /// qcow2_do_open with BDRV_O_CHECK, as <c>qemu-img check</c> opens an image: a refcount table of zero
    /// clusters is allowed, the snapshot table pointer is not validated (the check reads and reports it),
    /// and tables may extend past the end of the file (they read as zeros). Every other rule still holds.
    /// </summary>
    Check,
}
