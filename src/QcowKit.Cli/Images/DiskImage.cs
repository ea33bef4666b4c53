using System.Text.Json.Nodes;

namespace QcowKit.Cli.Images;

/// <summary>
/// A guest disk as the CLI verbs see it, whatever its format: its size, its bytes and its allocation.
/// The one seam between the verbs and the engine; a new format is a new subclass here.
/// </summary>
internal abstract class DiskImage : IDisposable
{
    protected DiskImage(string path, string format)
    {
        Path = path;
        Format = format;
    }

    /// <summary>The path as the user gave it (qemu-img prints it unchanged).</summary>
    public string Path { get; }

    /// <summary>"qcow2" or "raw".</summary>
    public string Format { get; }

    /// <summary>Guest size in bytes.</summary>
    public abstract long VirtualSize { get; }

    /// <summary>Reads guest bytes; <paramref name="buffer"/> must lie inside the disk.</summary>
    public abstract void Read(long offset, Span<byte> buffer);

    /// <summary>The state of the guest bytes from <paramref name="offset"/>, for at most <paramref name="maxLength"/> bytes.</summary>
    public abstract BlockStatus GetBlockStatus(long offset, long maxLength);

    /// <summary>
    /// qemu's ImageInfo for this image, members in QAPI schema order (which fixes the output order of
    /// keys that share a QDict bucket): filename, format, dirty-flag, actual-size, virtual-size, then
    /// what the format adds.
    /// </summary>
    public virtual JsonObject DescribeInfo()
    {
        var info = new JsonObject
        {
            ["filename"] = Path,
            ["format"] = Format,
            ["dirty-flag"] = false,
        };
        if (HostFile.AllocatedSize(Path) is { } allocated)
        {
            info["actual-size"] = allocated;
        }
        info["virtual-size"] = VirtualSize;
        return info;
    }

    /// <summary>The backing file as qemu opens it (full-backing-filename) and its format, or null when there is none.</summary>
    public virtual (string Path, string? Format)? Backing => null;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
