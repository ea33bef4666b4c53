using Microsoft.Win32.SafeHandles;

namespace QcowKit.Image.Files;

/// <summary>
/// The bytes an image lives in: a file on disk or a caller's <see cref="Stream"/>. The engine reads and writes
/// images only through this, so an image over a path and an image over a stream share one implementation.
/// </summary>
internal abstract class HostFile : IDisposable
{
    /// <summary>Reads into <paramref name="buffer"/> at <paramref name="offset"/>; returns the bytes read (0 at the end).</summary>
    public abstract int Read(Span<byte> buffer, long offset);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>, growing the file as needed.</summary>
    public abstract void Write(ReadOnlySpan<byte> data, long offset);

    /// <summary>The current length in bytes.</summary>
    public abstract long Length { get; }

    /// <summary>Truncates or extends (with zeros).</summary>
    public abstract void SetLength(long length);

    /// <summary>Makes the writes so far stable (fsync for a file, <see cref="Stream.Flush"/> for a stream).</summary>
    public abstract void FlushToDisk();

    /// <summary>
    /// The operating system's handle when the bytes are a file on disk; null for a stream. Locks, file identities and
    /// hole probing need it, and a stream has none of them.
    /// </summary>
    public abstract SafeFileHandle? OsHandle { get; }

    /// <summary>Reads as much as the file holds at <paramref name="offset"/> and zero-fills the rest, as qemu does past the end of a file.</summary>
    public int ReadPadded(Span<byte> destination, long offset)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = Read(destination[total..], offset + total);
            if (read <= 0)
            {
                break;
            }
            total += read;
        }
        destination[total..].Clear();
        return total;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the file owns.</summary>
    protected abstract void Dispose(bool disposing);
}
