namespace QcowKit.Bitmaps;

/// <summary>One change <c>qemu-img bitmap</c> makes to a persistent dirty bitmap.</summary>
public enum QcowBitmapAction
{
    /// <summary><c>--add</c>: creates an empty bitmap (enabled, unless the request also disables).</summary>
    Add,

    /// <summary><c>--remove</c>: deletes the bitmap (an inconsistent one too).</summary>
    Remove,

    /// <summary><c>--clear</c>: clears every bit.</summary>
    Clear,

    /// <summary><c>--enable</c>: the bitmap records guest writes from now on.</summary>
    Enable,

    /// <summary><c>--disable</c>: the bitmap stops recording guest writes.</summary>
    Disable,

    /// <summary><c>--merge SRC</c>: sets every bit that is set in the source bitmap.</summary>
    Merge,
}
