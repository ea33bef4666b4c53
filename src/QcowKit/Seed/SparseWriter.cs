namespace QcowKit.Seed;

/// <summary>
/// Writes content to a guest disk without writing all-zero blocks, so a sparse target stays sparse. When the
/// target may already hold data, a zero block is written only where the target's block is not zero.
/// </summary>
internal sealed class SparseWriter
{
    internal const int BlockSize = 4096;

    private readonly Stream _target;
    private readonly bool _targetIsZero;
    private readonly byte[] _readBack;

    public SparseWriter(Stream target, bool targetIsZero)
    {
        _target = target;
        _targetIsZero = targetIsZero;
        _readBack = targetIsZero ? [] : new byte[BlockSize];
    }

    /// <summary>True when the target is known to read as zeros, so regions left zero need no writing at all.</summary>
    public bool TargetIsZero => _targetIsZero;

    /// <summary>Bytes sent to the target.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Bytes of content that were zero and not sent.</summary>
    public long BytesSkipped { get; private set; }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        var runStart = -1;
        var position = 0;
        while (position < data.Length)
        {
            var absolute = offset + position;
            var blockEnd = (int)Math.Min(data.Length, position + (BlockSize - (absolute % BlockSize)));
            var chunk = data[position..blockEnd];
            var needsWrite = chunk.ContainsAnyExcept((byte)0) || !_targetIsZero && TargetHasData(absolute, chunk.Length);
            if (needsWrite)
            {
                if (runStart < 0) runStart = position;
            }
            else
            {
                if (runStart >= 0)
                {
                    Flush(offset + runStart, data[runStart..position]);
                    runStart = -1;
                }
                BytesSkipped += chunk.Length;
            }
            position = blockEnd;
        }
        if (runStart >= 0) Flush(offset + runStart, data[runStart..]);
    }

    /// <summary>Makes a range read as zeros: nothing to do on a zeroed target, otherwise only non-zero blocks are rewritten.</summary>
    public void Zero(long offset, long length)
    {
        if (_targetIsZero)
        {
            BytesSkipped += length;
            return;
        }
        var zeros = new byte[Math.Min(length, 1024 * 1024)];
        for (long done = 0; done < length; done += zeros.Length)
        {
            Write(offset + done, zeros.AsSpan(0, (int)Math.Min(zeros.Length, length - done)));
        }
    }

    private void Flush(long offset, ReadOnlySpan<byte> run)
    {
        _target.Position = offset;
        _target.Write(run);
        BytesWritten += run.Length;
    }

    private bool TargetHasData(long offset, int length)
    {
        if (offset >= _target.Length) return false;
        var available = (int)Math.Min(length, _target.Length - offset);
        _target.Position = offset;
        var buffer = _readBack.AsSpan(0, available);
        _target.ReadExactly(buffer);
        return buffer.ContainsAnyExcept((byte)0);
    }
}
