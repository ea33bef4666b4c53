namespace QcowKit.Fixtures.Corruptions;

/// <summary>The guest bytes a reader should see, or the statement that no reader can produce them.</summary>
internal sealed class GuestBytes
{
    internal GuestBytes(byte[] bytes, byte[] backing)
    {
        Bytes = bytes;
        Backing = backing;
    }

    internal byte[] Bytes { get; }

    /// <summary>The backing image's guest bytes (empty without one): what an unallocated cluster shows.</summary>
    internal byte[] Backing { get; }

    /// <summary>False once a corruption makes the guest unreadable (qemu-img convert fails).</summary>
    internal bool Readable { get; private set; } = true;

    internal void MarkUnreadable() => Readable = false;

    /// <summary>Guest range [offset, offset+length) now reads as unallocated: backing bytes or zeros.</summary>
    internal void ShowBacking(long offset, long length)
    {
        if (offset >= Bytes.Length)
        {
            return;
        }
        var target = Bytes.AsSpan((int)offset, (int)Math.Min(length, Bytes.Length - offset));
        target.Clear();
        if (offset < Backing.Length)
        {
            Backing.AsSpan((int)offset, (int)Math.Min(target.Length, Backing.Length - offset)).CopyTo(target);
        }
    }

    /// <summary>Guest range now reads <paramref name="source"/> (clipped to the virtual size).</summary>
    internal void Show(long offset, ReadOnlySpan<byte> source)
    {
        if (offset >= Bytes.Length)
        {
            return;
        }
        var length = (int)Math.Min(source.Length, Bytes.Length - offset);
        source[..length].CopyTo(Bytes.AsSpan((int)offset));
    }
}
