using Microsoft.Win32.SafeHandles;
using QcowKit.Image.Locking;

namespace QcowKit.Image.Files;

/// <summary>
/// A file on disk reached through positional I/O (<see cref="RandomAccess"/>), so readers at different offsets run in
/// parallel. Disposing releases the handle's image locks before closing it (<see cref="LockedFile.Close"/>) when it owns it.
/// </summary>
internal sealed class HandleHostFile(SafeFileHandle handle, bool ownsHandle = true) : HostFile
{
    /// <inheritdoc />
    public override SafeFileHandle OsHandle => handle;

    /// <inheritdoc />
    public override long Length => RandomAccess.GetLength(handle);

    /// <inheritdoc />
    public override int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

    /// <inheritdoc />
    public override void SetLength(long length) => RandomAccess.SetLength(handle, length);

    /// <inheritdoc />
    public override void FlushToDisk() => RandomAccess.FlushToDisk(handle);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsHandle)
        {
            LockedFile.Close(handle);
        }
    }
}
