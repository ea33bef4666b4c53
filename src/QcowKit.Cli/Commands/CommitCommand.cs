using System.CommandLine;
using QcowKit.Cli.Infrastructure;
using QcowKit.Commit;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit commit [-f FMT] [-b BASE] [-d] [-p] [-q] IMAGE</c>, as qemu-img commit: prints <c>Image committed.</c>
/// unless <c>-q</c>; the engine writes the base, empties the image (unless <c>-d</c> or <c>-b</c>) and words every refusal.
/// </summary>
internal static class CommitCommand
{
    public static Command Create()
    {
        var format = CommonOptions.Format("-f", "Image format (only qcow2 has a backing file); probed when omitted");
        var baseImage = new Option<string?>("-b") { Description = "Commit into this image of the backing chain (default: the immediate backing file); implies -d", HelpName = "BASE" };
        var drop = new Option<bool>("-d") { Description = "Leave the image as it is instead of emptying it" };
        var progress = CommonOptions.Progress();
        var quiet = CommonOptions.Quiet();
        var image = new Argument<string>("IMAGE") { Description = "Image whose data goes down into its backing chain" };
        var command = new Command("commit", "Write an image's data into its backing file (or a base further down), then empty it unless -d");
        foreach (var option in new Option[] { format, baseImage, drop, progress, quiet })
        {
            command.Options.Add(option);
        }
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            var bar = new ProgressBar(context.GetValue(progress) && !context.GetValue(quiet) ? context.Error : null, 1.0);
            CommandActions.RunOnImage(path, () => QcowCommitter.Commit(path, new QcowCommitOptions
            {
                ImageFormat = context.GetValue(format) is { } formatName ? QemuNames.ParseDriver(formatName) : null,
                Base = context.GetValue(baseImage),
                Drop = context.GetValue(drop),
            }, new SynchronousProgress<QcowCommitProgress>(value => bar.Report(value.Fraction * 100)), context.CancellationToken));
            bar.Finish();
            if (!context.GetValue(quiet)) context.Out.WriteLine("Image committed.");
            return 0;
        });
        return command;
    }
}
