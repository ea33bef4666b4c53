using System.CommandLine;
using QcowKit.Cli.Infrastructure;
using QcowKit.Rebase;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit rebase [-f FMT] [-F FMT] [-b BACKING] [-u] [-p] [-q] [-U] IMAGE</c>, as qemu-img rebase: prints nothing on
/// success; the engine copies what the backing change would alter (unless <c>-u</c>) and words every refusal.
/// </summary>
internal static class RebaseCommand
{
    public static Command Create()
    {
        var format = CommonOptions.Format("-f", "Image format (only qcow2 has a backing file); probed when omitted");
        var backing = new Option<string?>("-b") { Description = "New backing file, relative to the image's folder; \"\" makes the image standalone", HelpName = "BACKING" };
        var backingFormat = new Option<string?>("-F") { Description = "Format of the new backing file (qcow2 or raw)", HelpName = "FMT" };
        var unsafeMode = new Option<bool>("-u") { Description = "Only change the backing file name; copy nothing (the guest view may change)" };
        var progress = CommonOptions.Progress();
        var quiet = CommonOptions.Quiet();
        var forceShare = CommonOptions.ForceShare();
        forceShare.Description = "Open the new backing file even while another process writes it";
        var image = new Argument<string>("IMAGE") { Description = "Image whose backing file changes, in place" };
        var command = new Command("rebase", "Change an image's backing file, keeping what the guest reads unless -u");
        foreach (var option in new Option[] { format, backing, backingFormat, unsafeMode, progress, quiet, forceShare })
        {
            command.Options.Add(option);
        }
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            var bar = new ProgressBar(context.GetValue(progress) && !context.GetValue(quiet) ? context.Error : null, 1.0);
            CommandActions.RunOnImage(path, () => QcowRebaser.Rebase(path, new QcowRebaseOptions
            {
                BackingFile = context.GetValue(backing),
                BackingFormat = context.GetValue(backingFormat),
                Unsafe = context.GetValue(unsafeMode),
                ImageFormat = context.GetValue(format) is { } formatName ? QemuNames.ParseDriver(formatName) : null,
                ForceShare = context.GetValue(forceShare),
            }, new SynchronousProgress<QcowRebaseProgress>(value => bar.Report(value.Fraction * 100)), context.CancellationToken));
            bar.Finish();
            return 0;
        });
        return command;
    }
}
