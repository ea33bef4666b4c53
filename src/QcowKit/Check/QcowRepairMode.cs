namespace QcowKit.Check;

/// <summary>What <see cref="QcowChecker"/> may repair, as <c>qemu-img check -r</c>.</summary>
public enum QcowRepairMode
{
    /// <summary>Check only; the image is opened read-only and never written.</summary>
    None = 0,

    /// <summary><c>-r leaks</c>: free leaked clusters (refcounts higher than the references).</summary>
    Leaks = 1,

    /// <summary><c>-r all</c>: also raise refcounts that are too low, rebuild broken refcount structures and fix COPIED flags.</summary>
    All = 2,
}
