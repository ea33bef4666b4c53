using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Images;

/// <summary>Opens an image read-only in a given or probed format, turning every failure into a one-line <see cref="CliException"/>.</summary>
internal static class ImageOpener
{
    /// <summary>Opens <paramref name="path"/>; <paramref name="format"/> null means probe, as qemu-img does.</summary>
    /// <param name="path">The image as the user named it.</param>
    /// <param name="format">A driver name as given (parsed by the engine), or null to probe.</param>
    /// <param name="failureExitCode">Exit code when it cannot be opened (qemu-img compare uses 2).</param>
    /// <param name="metadataOnly">Open no backing or data file, as qemu-img info does (it still works when they are missing), and lock as it does.</param>
    /// <param name="forceShare">qemu-img's -U: ignore other processes' locks and keep none from writing.</param>
    /// <param name="conversionSource">The image is convert's source (a raw source is then kept from changing, as in qemu-img).</param>
    public static IVirtualDisk Open(string path, string? format, int failureExitCode = 1, bool metadataOnly = false, bool forceShare = false,
        bool conversionSource = false)
    {
        try
        {
            var actual = format is null ? VirtualDisk.ProbeFormat(path) : QemuNames.ParseDriver(format);
            var options = new QcowOpenOptions
            {
                ExternalFiles = metadataOnly ? ExternalFilePolicy.Never : ExternalFilePolicy.Open,
                InspectOnly = metadataOnly,
                ForceShare = forceShare,
                ConversionSource = conversionSource,
            };
            return VirtualDisk.Open(path, actual, options);
        }
        catch (Exception ex) when (ex is IOException and not QcowImageLockedException or UnauthorizedAccessException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new CliException(path, Describe(ex), failureExitCode, ex);
        }
    }

    /// <summary>The message without .NET's habit of repeating the path.</summary>
    public static string Describe(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex switch
        {
            HostFileException => CommandActions.OneLine(ex.Message),
            FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
            UnauthorizedAccessException => "Permission denied",
            _ => CommandActions.OneLine(ex.Message),
        };
    }
}
