using System.Buffers.Binary;
using QcowKit.Format;

namespace QcowKit.Image;

/// <summary>Opens a disk image of either supported format, probing the format like qemu when it is not given.</summary>
public static class VirtualDisk
{
    /// <summary>Opens <paramref name="path"/> as <paramref name="format"/> ("qcow2" or "raw"), or probes it when null.</summary>
    public static IVirtualDisk Open(string path, string? format = null, QcowOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return (format ?? Probe(path)) switch
        {
            "qcow2" => QcowImage.Open(path, options),
            "raw" => RawImage.Open(path, (options ?? QcowOpenOptions.ReadOnly).RawLockMode),
            var other => throw new NotSupportedException($"Image format '{other}' is not supported (only qcow2 and raw)."),
        };
    }

    /// <summary>"qcow2" when the file starts with the qcow2 magic, else "raw" (qemu probes the same way for these two).</summary>
    public static string Probe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new Files.HandleHostFile(HostFiles.OpenExisting(path, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        return Probe(file);
    }

    /// <inheritdoc cref="Probe(string)"/>
    internal static string Probe(Files.HostFile file)
    {
        Span<byte> magic = stackalloc byte[8];
        var read = file.ReadPadded(magic, 0);
        if (read >= 8 && BinaryPrimitives.ReadUInt32BigEndian(magic) == QcowLimits.Magic)
        {
            // qemu's qcow2 probe also requires version >= 2; a version 1 "qcow" image is another format.
            var version = BinaryPrimitives.ReadUInt32BigEndian(magic[4..]);
            return version >= 2 ? "qcow2" : "qcow";
        }
        return "raw";
    }
}
