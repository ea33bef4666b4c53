namespace QcowKit.Image;

/// <summary>A persistent dirty bitmap from the bitmap directory.</summary>
/// <param name="Name">The bitmap's name.</param>
/// <param name="Granularity">Bytes of guest disk per bit.</param>
/// <param name="InUse">The in_use flag: the bitmap was not saved cleanly and is inconsistent.</param>
/// <param name="Auto">The auto flag: the bitmap tracks writes whenever the image is opened.</param>
/// <param name="BitmapTableOffset">Host offset of the bitmap table.</param>
/// <param name="BitmapTableSize">Entries of the bitmap table.</param>
public sealed record QcowBitmapInfo(string Name, long Granularity, bool InUse, bool Auto, long BitmapTableOffset, uint BitmapTableSize)
{
    /// <summary>The flags as <c>qemu-img info --output=json</c> lists them ("in-use", "auto").</summary>
    public IReadOnlyList<string> Flags => (InUse, Auto) switch
    {
        (true, true) => ["in-use", "auto"],
        (true, false) => ["in-use"],
        (false, true) => ["auto"],
        _ => [],
    };
}
