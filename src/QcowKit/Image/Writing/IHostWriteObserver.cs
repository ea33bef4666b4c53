using QcowKit.Image.Files;

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
    void Writing(HostFile file, long offset, ReadOnlySpan<byte> data, bool guestData);

    /// <summary><paramref name="file"/> is about to be flushed to stable storage.</summary>
    void Flushing(HostFile file);
}

/// <summary>The engine's only path to the disk for writes and flushes, so that an observer sees all of them.</summary>
internal static class HostIo
{
    /// <summary>
    /// Largest single write system call. A buffered write of 2 MiB or more at a 2 MiB-aligned file offset makes
    /// the kernel fill the page cache with 2 MiB folios. On a virtual machine whose guest hands free memory back
    /// to the host (virtio-balloon free page reporting, common in clouds), free 2 MiB blocks are exactly the
    /// memory the host has taken back, so the host faults each such folio in while the data is copied: writing
    /// 1.2 GiB that way took 1.4-3 s instead of 0.2 s on the benchmark machine, in 2 MiB or larger writes at
    /// aligned offsets, and 0.2 s in 1 MiB writes or at unaligned offsets (qemu-img's pattern). Elsewhere the
    /// only cost is one system call per MiB.
    /// </summary>
    internal const int MaxWriteBytes = 1 << 20;

    public static void Write(HostFile file, ReadOnlySpan<byte> data, long offset, IHostWriteObserver? observer, bool guestData = false)
    {
        observer?.Writing(file, offset, data, guestData);
        WriteInPieces(file, data, offset);
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> in system calls of at most <see cref="MaxWriteBytes"/>.</summary>
    public static void WriteInPieces(HostFile file, ReadOnlySpan<byte> data, long offset)
    {
        for (var done = 0; done < data.Length; done += MaxWriteBytes)
        {
            file.Write(data.Slice(done, Math.Min(MaxWriteBytes, data.Length - done)), offset + done);
        }
    }

    public static void Flush(HostFile file, IHostWriteObserver? observer)
    {
        observer?.Flushing(file);
        file.FlushToDisk();
    }
}
