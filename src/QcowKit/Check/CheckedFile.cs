using QcowKit.Image.Locking;
using QcowKit.Image.Files;

namespace QcowKit.Check;

/// <summary>
/// Positional access to the image file during a check. Reads beyond the end of the file return
/// zeros, as qemu's file driver does, so the checker sees exactly what qemu sees. Writes happen only
/// when the file was opened for repair.
/// </summary>
internal sealed class CheckedFile : IDisposable
{
    private readonly HostFile _file;

    /// <param name="path">The image.</param>
    /// <param name="writable">Opened for repair.</param>
    /// <param name="forceShare">qemu's -U: read despite other users' locks and keep none from writing (read-only only).</param>
    public CheckedFile(string path, bool writable, bool forceShare = false)
        : this(new HandleHostFile(LockedFile.Open(path, path, writable ? FileAccess.ReadWrite : FileAccess.Read,
            writable ? ImageLockMode.Write : forceShare ? ImageLockMode.ReadShared : ImageLockMode.Read)), writable)
    {
    }

    /// <param name="file">The image's bytes; disposed with this.</param>
    /// <param name="writable">Opened for repair.</param>
    public CheckedFile(HostFile file, bool writable)
    {
        _file = file;
        Writable = writable;
        Length = _file.Length;
    }

    public bool Writable { get; }

    /// <summary>True when the image is a caller's stream: it has no folder, no locks and no other files to reach.</summary>
    public bool IsStream => _file.OsHandle is null;

    public long Length { get; private set; }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; the part beyond the end of the file reads as zeros.</summary>
    public void Read(ulong offset, Span<byte> buffer)
    {
        if (offset >= (ulong)Length)
        {
            buffer.Clear();
            return;
        }
        var available = (int)Math.Min((ulong)buffer.Length, (ulong)Length - offset);
        var done = 0;
        while (done < available)
        {
            var bytesRead = _file.Read(buffer[done..available], (long)offset + done);
            if (bytesRead <= 0) break;
            done += bytesRead;
        }
        buffer[done..].Clear();
    }

    public ulong ReadUInt64(ulong offset)
    {
        Span<byte> b = stackalloc byte[8];
        Read(offset, b);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (!Writable) throw new InvalidOperationException("The image was opened read-only; a check without repair never writes.");
        _file.Write(data, (long)offset);
        Length = Math.Max(Length, (long)offset + data.Length);
    }

    public void WriteUInt64(ulong offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b, value);
        Write(offset, b);
    }

    public void SetLength(long length)
    {
        if (!Writable) throw new InvalidOperationException("The image was opened read-only; a check without repair never writes.");
        _file.SetLength(length);
        Length = length;
    }

    public void Flush()
    {
        if (Writable) _file.FlushToDisk();
    }

    public void Dispose() => _file.Dispose();
}
