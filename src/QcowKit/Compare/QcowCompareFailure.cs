namespace QcowKit.Compare;

/// <summary>Which step of a comparison failed (qemu-img compare's exit codes 3 and 4).</summary>
public enum QcowCompareFailure
{
    /// <summary>The allocation (block status) of an image could not be determined.</summary>
    Allocation,

    /// <summary>Guest data of an image could not be read.</summary>
    Read,
}
