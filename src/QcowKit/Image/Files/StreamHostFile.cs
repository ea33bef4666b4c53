using Microsoft.Win32.SafeHandles;

namespace QcowKit.Image.Files;

/// <summary>
/// A caller's seekable <see cref="Stream"/> standing in for an image file. A stream has one position, so every access
/// seeks and transfers under one lock: parallel guest reads stay correct, only serialized. Nothing is locked against
/// other processes (a stream has no file to lock).
/// </summary>
internal sealed class StreamHostFile : HostFile
{
    private readonly Stream _stream;
    private bool _leaveOpen;
    private readonly Lock _gate = new();

    /// <param name="stream">Must be readable and seekable; writable when the image is to be written.</param>
    /// <param name="leaveOpen">Whether disposing leaves <paramref name="stream"/> open, as <see cref="StreamReader"/>'s option does.</param>
    public StreamHostFile(Stream stream, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek || !stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable and seekable (qcow2 metadata is read at arbitrary offsets).", nameof(stream));
        }
        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <summary>From now on disposing closes the stream: an image that opened over it took it over.</summary>
    public void CloseStreamOnDispose() => _leaveOpen = false;

    /// <summary>Whether the stream accepts writes.</summary>
    public bool CanWrite => _stream.CanWrite;

    /// <inheritdoc />
    public override SafeFileHandle? OsHandle => null;

    /// <inheritdoc />
    public override long Length
    {
        get
        {
            lock (_gate)
            {
                return _stream.Length;
            }
        }
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer, long offset)
    {
        lock (_gate)
        {
            if (offset >= _stream.Length)
            {
                return 0;
            }
            _stream.Position = offset;
            return _stream.Read(buffer);
        }
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> data, long offset)
    {
        lock (_gate)
        {
            // Seeking past the end and writing zero-fills the gap on MemoryStream and FileStream alike, as a file does.
            _stream.Position = offset;
            _stream.Write(data);
        }
    }

    /// <inheritdoc />
    public override void SetLength(long length)
    {
        lock (_gate)
        {
            _stream.SetLength(length);
        }
    }

    /// <inheritdoc />
    public override void FlushToDisk()
    {
        lock (_gate)
        {
            if (_stream is FileStream file)
            {
                file.Flush(flushToDisk: true);
            }
            else
            {
                _stream.Flush();
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
