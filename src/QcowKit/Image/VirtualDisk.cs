using System.Buffers.Binary;
using QcowKit.Format;

namespace QcowKit.Image;

/// <summary>Opens a disk image of either supported format, probing the format like qemu when it is not given.</summary>
public static class VirtualDisk
{
    /// <summary>Opens <paramref name="path"/> as <paramref name="format"/>, or probes it (as qemu does) when null.</summary>
    /// <param name="path">The image.</param>
    /// <param name="format">The format, or null to probe.</param>
    /// <param name="options">How to open it; read-only by default.</param>
    /// <returns>The open image.</returns>
    /// <exception cref="QcowFormatException">The probe found a format QcowKit does not read (e.g. qcow version 1).</exception>
    public static IVirtualDisk Open(string path, QcowImageFormat? format = null, QcowOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return (format ?? ProbeFormat(path)) switch
        {
            QcowImageFormat.Qcow2 => QcowImage.Open(path, options),
            _ => RawImage.Open(path, (options ?? QcowOpenOptions.ReadOnly).RawLockMode),
        };
    }

    /// <summary>The format of <paramref name="path"/> as qemu probes it, for the two formats QcowKit reads.</summary>
    /// <param name="path">The image.</param>
    /// <returns>qcow2 when the file starts with the qcow2 magic (version 2 or later), else raw.</returns>
    /// <exception cref="QcowFormatException">A qcow version 1 image, which qemu reads with another driver.</exception>
    public static QcowImageFormat ProbeFormat(string path)
    {
        var probed = Probe(path);
        return QemuNames.TryParseImageFormat(probed, out var format)
            ? format
            : throw new QcowFormatException($"unsupported image format '{probed}' (QcowKit reads qcow2 and raw)");
    }

    /// <summary>Opens a file named in another image's header with the format name recorded there (any driver name qemu knows; null probes).</summary>
    internal static IVirtualDisk OpenNamed(string path, string? formatName, QcowOpenOptions? options = null)
    {
        if (formatName is null) return Open(path, null, options);
        return QemuNames.TryParseImageFormat(formatName, out var format)
            ? Open(path, format, options)
            : throw new NotSupportedException($"Image format '{formatName}' is not supported (only qcow2 and raw).");
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
