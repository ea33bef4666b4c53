using QcowKit.Cli.Infrastructure;

namespace QcowKit.Cli.Images;

/// <summary>Opens an image read-only in a given or probed format, turning every failure into a one-line <see cref="CliException"/>.</summary>
internal static class ImageOpener
{
    private static readonly byte[] QcowMagic = [(byte)'Q', (byte)'F', (byte)'I', 0xFB];

    /// <summary>Opens <paramref name="path"/>; <paramref name="format"/> null means probe, as qemu-img does.</summary>
    /// <param name="path">The image as the user named it.</param>
    /// <param name="format">"qcow2", "raw" or null.</param>
    /// <param name="failureExitCode">Exit code when it cannot be opened (qemu-img compare uses 2).</param>
    public static DiskImage Open(string path, string? format, int failureExitCode = 1)
    {
        try
        {
            return (format ?? Probe(path)) switch
            {
                "raw" => RawDiskImage.Open(path),
                "qcow2" => throw new CliException(path, "qcow2 reading arrives with the reader engine", failureExitCode),
                var other => throw new CliException(path, $"unsupported image format '{other}' (qcowkit reads qcow2 and raw)", failureExitCode),
            };
        }
        catch (CliException ex) when (ex.ExitCode != failureExitCode)
        {
            throw new CliException(ex.File, ex.Message, failureExitCode, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
        {
            throw new CliException(path, Describe(ex), failureExitCode, ex);
        }
    }

    /// <summary>qcow2 when the file starts with the qcow2 magic and a version of 2 or more, raw otherwise.</summary>
    public static string Probe(string path)
    {
        Span<byte> start = stackalloc byte[8];
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var read = RandomAccess.Read(handle, start, 0);
        if (read >= 8 && start[..4].SequenceEqual(QcowMagic))
        {
            var version = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(start[4..]);
            return version >= 2 ? "qcow2" : "qcow";
        }
        return "raw";
    }

    /// <summary>The message without .NET's habit of repeating the path.</summary>
    public static string Describe(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex switch
        {
            FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
            UnauthorizedAccessException => "Permission denied",
            _ => CommandActions.OneLine(ex.Message),
        };
    }
}
