using QcowKit.Check;
using QcowKit.Image;

namespace QcowKit.Fixtures;

/// <summary>
/// The verdict of a built image, judged by the engine on the files as written: the checker (which agrees with
/// <c>qemu-img check</c>) gives the exit code and counts, the engine's open (which refuses what <c>qemu-img info</c>
/// refuses) gives <see cref="ExpectedVerdict.CanOpen"/>. The guest bytes come from the builder's model of the edit,
/// because a corruption decides what qemu reads, not what a tolerant reader makes of it.
/// </summary>
internal static class EngineVerdict
{
    /// <param name="imagePath">The image as written.</param>
    /// <param name="dataFilePath">Full path of its external data file, or null.</param>
    /// <param name="modelled">The builder's model: its guest bytes are kept.</param>
    internal static ExpectedVerdict Judge(string imagePath, string? dataFilePath, ExpectedVerdict modelled)
    {
        // qemu 7.2 (and the engine, like it) finds a relative data file name from the current directory, which a
        // library must not change; the check does not read guest data, so it skips opening the data file, and the open
        // is given the data file's full path.
        var check = QcowChecker.Check(imagePath, new QcowCheckOptions { Format = QcowImageFormat.Qcow2, ForceShare = true, Untrusted = dataFilePath is not null });
        var canOpen = Opens(imagePath, dataFilePath);
        var readable = canOpen && modelled.GuestReadable;
        // qemu-img prints no report when the image cannot be opened or the check gives up, so it states no counts.
        var reported = check.Completed;
        return new ExpectedVerdict
        {
            CheckExitCode = check.QemuExitCode,
            Corruptions = reported ? check.Corruptions : 0,
            Leaks = reported ? check.Leaks : 0,
            CheckErrors = reported ? check.CheckErrors : 0,
            CanOpen = canOpen,
            GuestReadable = readable,
            GuestSha256 = readable ? modelled.GuestSha256 : null,
        };
    }

    private static bool Opens(string imagePath, string? dataFilePath)
    {
        try
        {
            using var image = VirtualDisk.Open(imagePath, QcowImageFormat.Qcow2, new QcowOpenOptions { InspectOnly = true, ForceShare = true, DataFile = dataFilePath });
            return true;
        }
        catch (IOException)
        {
            // QcowException is an IOException: every refusal of the format, a missing backing or data file alike.
            return false;
        }
    }
}
