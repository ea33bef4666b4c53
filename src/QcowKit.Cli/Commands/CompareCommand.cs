using System.CommandLine;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Compare;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit compare</c>: qemu-img compare's algorithm, messages and exit codes (0 identical,
/// 1 different, 2 cannot open, 3 cannot tell allocation, 4 cannot read).
/// </summary>
internal static class CompareCommand
{
    public const int Identical = 0;
    public const int Different = 1;
    public const int OpenFailed = 2;
    public const int AllocationFailed = 3;
    public const int ReadFailed = 4;

    public static Command Create()
    {
        var format1 = CommonOptions.Format("-f", "Format of the first image; probed when omitted");
        var format2 = CommonOptions.Format("-F", "Format of the second image; probed when omitted");
        var strict = new Option<bool>("-s", "--strict") { Description = "Strict: images of different size, or allocated differently, are different" };
        var progress = CommonOptions.Progress();
        var quiet = CommonOptions.Quiet();
        var forceShare = CommonOptions.ForceShare();
        var first = new Argument<string>("A") { Description = "First image" };
        var second = new Argument<string>("B") { Description = "Second image" };
        var command = new Command("compare", "Compare the guest contents of two images");
        command.Options.Add(format1);
        command.Options.Add(format2);
        command.Options.Add(strict);
        command.Options.Add(progress);
        command.Options.Add(quiet);
        command.Options.Add(forceShare);
        command.Arguments.Add(first);
        command.Arguments.Add(second);
        CommandActions.Set(command, context =>
        {
            var path1 = context.GetValue(first);
            var path2 = context.GetValue(second);
            using var image1 = ImageOpener.Open(path1, context.GetValue(format1), OpenFailed, forceShare: context.GetValue(forceShare));
            using var image2 = ImageOpener.Open(path2, context.GetValue(format2), OpenFailed, forceShare: context.GetValue(forceShare));
            var bar = context.Progress(context.GetValue(progress) && !context.GetValue(quiet), 2.0);
            var (code, message) = Compare(image1, image2, context.GetValue(strict), bar, context.CancellationToken);
            if (code == Identical) bar.Finish();
            if (!context.GetValue(quiet))
            {
                foreach (var line in message) context.Out.WriteLine(line);
            }
            return code;
        }, failureExitCode: OpenFailed);
        return command;
    }

    /// <summary>Compares guest contents with the engine; returns the exit code and the lines qemu-img prints.</summary>
    public static (int ExitCode, IReadOnlyList<string> Lines) Compare(IVirtualDisk image1, IVirtualDisk image2, bool strict, ProgressBar progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        QcowCompareResult result;
        try
        {
            result = QcowComparer.Compare(image1, image2, strict, new BarAdapter(progress), cancellationToken);
        }
        catch (QcowCompareException ex) when (ex.InnerException is not null)
        {
            var (message, code) = ex.Failure == QcowCompareFailure.Read
                ? ($"Error while reading offset {ex.Offset}: {ImageOpener.Describe(ex.InnerException)}", ReadFailed)
                : ($"Sector allocation test failed: {ImageOpener.Describe(ex.InnerException)}", AllocationFailed);
            throw new CliException(ex.FileName, message, code, ex.InnerException);
        }
        return (result.Identical ? Identical : Different, result.Lines);
    }

    /// <summary>Feeds the bar the same increments qemu adds (cumulative, per chunk).</summary>
    private sealed class BarAdapter(ProgressBar bar) : IProgress<QcowCompareProgress>
    {
        private long _done;

        public void Report(QcowCompareProgress value)
        {
            bar.Advance(value.BytesDone - _done, value.TotalBytes);
            _done = value.BytesDone;
        }
    }
}
