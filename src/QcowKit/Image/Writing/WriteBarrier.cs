using QcowKit.Image.Files;

namespace QcowKit.Image.Writing;

/// <summary>
/// The write engine's ordering points for power loss. A killed process loses nothing the kernel already has,
/// in order; a power loss keeps an arbitrary subset of the writes since the last fsync. So a write that a later
/// one depends on (a refcount increase before the pointer to its cluster, a new table's content before the pointer
/// to it, guest data before the L2 entry that exposes it) is noted here, and <see cref="Order"/> fsyncs before the
/// dependent write only when such a write is pending, as qemu's qcow2 caches do with their flush dependencies.
/// With <see cref="QcowOpenOptions.FlushToDisk"/> off (qemu's cache=unsafe) nothing is ever fsynced.
/// </summary>
internal sealed class WriteBarrier(HostFile image, HostFile data, bool enabled, IHostWriteObserver? observer)
{
    private bool _imagePending;
    private bool _dataPending;

    /// <summary>A write to the image file that later writes depend on was made.</summary>
    public void ImageWritten() => _imagePending = true;

    /// <summary>Guest data that a later L2 entry exposes was written (to the data file, which may be the image).</summary>
    public void DataWritten()
    {
        if (ReferenceEquals(data, image))
        {
            _imagePending = true;
        }
        else
        {
            _dataPending = true;
        }
    }

    /// <summary>Makes the pending writes stable before the dependent one that follows; no fsync when none is pending.</summary>
    public void Order()
    {
        if (_dataPending && enabled)
        {
            HostIo.Flush(data, observer);
        }
        _dataPending = false;
        if (_imagePending && enabled)
        {
            HostIo.Flush(image, observer);
        }
        _imagePending = false;
    }

    /// <summary>
    /// Makes every write so far stable, pending or not: before a reference is dropped (the pointer removal must
    /// be stable first) and around the one-write switches of header fields.
    /// </summary>
    public void Flush()
    {
        _imagePending = true;
        Order();
    }
}
