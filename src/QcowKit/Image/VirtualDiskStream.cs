namespace QcowKit.Image;

/// <summary>
/// A seekable stream over any <see cref="IVirtualDisk"/>; reads go straight into the caller's buffer. Over a
/// <see cref="QcowImage"/> opened read-write it is writable too (writes cannot extend the disk).
/// </summary>
internal sealed class VirtualDiskStream : Stream
{
    private readonly IVirtualDisk _disk;
    private long _position;
    private bool _disposed;

    internal VirtualDiskStream(IVirtualDisk disk)
    {
        _disk = disk;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => !_disposed && _disk is QcowImage { CanWrite: true };

    public override long Length => _disk.VirtualSize;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var available = _disk.VirtualSize - _position;
        if (available <= 0 || buffer.IsEmpty)
        {
            return 0;
        }
        var count = (int)Math.Min(buffer.Length, available);
        _disk.Read(_position, buffer[..count]);
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(buffer.AsSpan(offset, count)));
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _disk.VirtualSize + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0)
        {
            throw new IOException("Cannot seek before the start of the disk.");
        }
        _position = target;
        return target;
    }

    public override void Flush()
    {
        if (_disk is QcowImage { CanWrite: true } image)
        {
            image.Flush();
        }
    }

    public override void SetLength(long value) => throw new NotSupportedException("The guest disk stream has the disk's fixed size; resize the image instead.");

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_disk is not QcowImage { CanWrite: true } image)
        {
            throw new NotSupportedException("The guest disk stream is read-only.");
        }
        if (_position + buffer.Length > _disk.VirtualSize)
        {
            throw new IOException($"Writing {buffer.Length} bytes at {_position} would pass the end of the {_disk.VirtualSize}-byte disk.");
        }
        image.Write(_position, buffer);
        _position += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void WriteByte(byte value)
    {
        ReadOnlySpan<byte> one = [value];
        Write(one);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }
}
