using QcowKit.Format;

namespace QcowKit.Image;

/// <summary>The writer's hooks that keep persistent dirty bitmaps right (see <see cref="BitmapStore"/>).</summary>
public sealed partial class QcowImage
{
    /// <summary>Null until the first change to a writable image; then the bitmaps being tracked.</summary>
    private BitmapStore? _bitmapStore;

    /// <summary>
    /// Called by every change before it touches the image: the first time, enabled bitmaps are loaded (and
    /// checked) and marked in_use on disk; the guest range about to change is marked dirty.
    /// </summary>
    private void TrackBitmaps(long offset, long length)
    {
        if (_bitmapStore is null)
        {
            _bitmapStore = BitmapStore.Activate(ImageFile, Options.WriteObserver, Header, BitmapEntries, VirtualSize, FileLength);
            RefreshBitmapInfo();
        }
        if (length > 0 && !_bitmapStore.IsIdle)
        {
            _bitmapStore.SetDirty(offset, length);
        }
    }

    /// <summary>Marks a guest range dirty for changes whose range is not the one given to BeginWrite.</summary>
    private void MarkBitmapsDirty(long offset, long length) => _bitmapStore?.SetDirty(offset, length);

    /// <summary>Before a resize changes anything: refuses when a bitmap is inconsistent, and marks all bitmaps in_use.</summary>
    private void PrepareBitmapsForResize()
    {
        _bitmapStore!.PrepareResize(VirtualSize, FileLength);
        RefreshBitmapInfo();
    }

    /// <summary>After the header holds the new size: every bitmap follows it.</summary>
    private void ResizeBitmaps(long newSize) => _bitmapStore!.Resize(newSize);

    /// <summary>On close: stores the tracked bitmaps and clears their in_use flags.</summary>
    private void StoreBitmaps()
    {
        if (_bitmapStore is null)
        {
            return;
        }
        _bitmapStore.Store(_allocator!, Unref);
        RefreshBitmapInfo();
    }

    /// <summary>Refuses what qemu refuses while an image has persistent bitmaps (e.g. applying a snapshot).</summary>
    private void RefuseWithBitmaps(string message)
    {
        if (BitmapEntries.Count > 0)
        {
            throw new InvalidOperationException(message);
        }
    }

    private void RefreshBitmapInfo() =>
        Bitmaps = BitmapEntries.Select(e => new QcowBitmapInfo(e.Name, e.Granularity, (e.Flags & BitmapFlags.InUse) != 0,
            (e.Flags & BitmapFlags.Auto) != 0, (long)e.BitmapTableOffset, e.BitmapTableSize)).ToArray();
}
