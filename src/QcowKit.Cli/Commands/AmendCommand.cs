using System.CommandLine;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit amend [-f qcow2] -o OPTIONS [-p] [-q] IMAGE</c>, as qemu-img amend: prints nothing on success, exits 1
/// with qemu's message when an option cannot be amended.
/// </summary>
internal static class AmendCommand
{
    public static Command Create()
    {
        var format = CommonOptions.Format("-f", "Image format (only qcow2 can be amended); probed when omitted");
        var options = CommonOptions.FormatOptions();
        options.Description = "Options to change: compat, lazy_refcounts, refcount_bits, size, data_file, data_file_raw, backing_file, backing_fmt";
        var progress = CommonOptions.Progress();
        var quiet = CommonOptions.Quiet();
        var image = new Argument<string>("IMAGE") { Description = "Image to amend in place" };
        var command = new Command("amend", "Change the options of an existing qcow2 image in place");
        command.Options.Add(format);
        command.Options.Add(options);
        command.Options.Add(progress);
        command.Options.Add(quiet);
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            var lists = context.GetValue(options);
            if (lists is null || lists.Length == 0)
            {
                throw new CliException(null, "Must specify options (-o)");
            }
            QcowAmendOptions amend;
            try
            {
                // qemu-img joins repeated -o lists with commas before parsing them.
                amend = QcowAmendOptions.Parse(string.Join(',', lists));
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(null, CommandActions.OneLine(ex.Message), 1, ex);
            }
            string actual;
            try
            {
                actual = context.GetValue(format) ?? VirtualDisk.Probe(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(path, ImageOpener.Describe(ex), 1, ex);
            }
            if (actual != "qcow2")
            {
                throw new CliException(null, $"Format driver '{actual}' does not support option amendment");
            }
            var bar = new ProgressBar(context.GetValue(progress) && !context.GetValue(quiet) ? context.Error : null, 1.0);
            try
            {
                QcowImage.Amend(path, amend, new Progress(bar), context.CancellationToken);
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(null, CommandActions.OneLine(ex.Message), 1, ex);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(path, ImageOpener.Describe(ex), 1, ex);
            }
            bar.Finish();
            return 0;
        });
        return command;
    }

    /// <summary>Synchronous adapter: <see cref="Progress{T}"/> would post to a thread pool and print out of order.</summary>
    private sealed class Progress(ProgressBar bar) : IProgress<QcowAmendProgress>
    {
        public void Report(QcowAmendProgress value) => bar.Report(value.Fraction * 100);
    }
}
