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
            if (lists.Any(list => list is "help" or "?"))
            {
                PrintHelp(context.Out);
                return 0;
            }
            QcowAmendOptions amend;
            try
            {
                // qemu-img joins repeated -o lists with commas before parsing them.
                amend = QcowAmendOptions.Parse(string.Join(',', lists));
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(null, CommandActions.Lines(ex.Message), 1, ex);
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
                QcowImage.Amend(path, amend, new SynchronousProgress<QcowAmendProgress>(value => bar.Report(value.Fraction * 100)), context.CancellationToken);
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(null, CommandActions.Lines(ex.Message), 1, ex);
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

    /// <summary>qemu-img's <c>-o help</c> listing, without the LUKS options (QcowKit cannot open encrypted images).</summary>
    private static void PrintHelp(TextWriter output)
    {
        (string Option, string Help)[] options =
        [
            ("backing_file=<str>", "File name of a base image"),
            ("backing_fmt=<str>", "Image format of the base image"),
            ("compat=<str>", "Compatibility level (v2 [0.10] or v3 [1.1])"),
            ("data_file=<str>", "File name of an external data file"),
            ("data_file_raw=<bool (on/off)>", "The external data file must stay valid as a raw image"),
            ("lazy_refcounts=<bool (on/off)>", "Postpone refcount updates"),
            ("refcount_bits=<num>", "Width of a reference count entry in bits"),
            ("size=<size>", "Virtual disk size"),
        ];
        output.WriteLine("Amend options for 'qcow2':");
        foreach (var (option, help) in options)
        {
            output.WriteLine($"  {option,-22} - {help}");
        }
    }
}
