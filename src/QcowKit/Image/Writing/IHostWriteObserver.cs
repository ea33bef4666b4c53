using Microsoft.Win32.SafeHandles;

namespace QcowKit.Image.Writing;

/// <summary>
/// Sees every write and flush the write engine makes to the image file and its data file, in order, just
/// before it happens. Crash-consistency tests record the sequence and replay prefixes of it; nothing else
/// sets one (<see cref="QcowOpenOptions.WriteObserver"/>), so the engine pays one null check per write.
/// </summary>
internal interface IHostWriteObserver
{
    /// <summary>
    /// <paramref name="data"/> is about to be written at <paramref name="offset"/> of <paramref name="file"/>;
    /// <paramref name="guestData"/> tells guest data (including compressed streams) from metadata.
    /// </summary>
    void Writing(SafeFileHandle file, long offset, ReadOnlySpan<byte> data, bool guestData);

    /// <summary><paramref name="file"/> is about to be flushed to stable storage.</summary>
    void Flushing(SafeFileHandle file);
}

/// <summary>The engine's only path to the disk for writes and flushes, so that an observer sees all of them.</summary>
internal static class HostIo
{
    public static void Write(SafeFileHandle file, ReadOnlySpan<byte> data, long offset, IHostWriteObserver? observer, bool guestData = false)
    {
        observer?.Writing(file, offset, data, guestData);
        RandomAccess.Write(file, data, offset);
    }

    public static void Flush(SafeFileHandle file, IHostWriteObserver? observer)
    {
        observer?.Flushing(file);
        RandomAccess.FlushToDisk(file);
    }
}
