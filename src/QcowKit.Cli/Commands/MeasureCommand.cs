using System.CommandLine;
using QcowKit.Cli.Infrastructure;
using QcowKit.Measure;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit measure [--output=human|json] [-O FMT] [-o OPTIONS] [-f FMT] [-U] (--size N | IMAGE)</c>: qemu-img
/// measure's figures, layout, refusals and exit code 1 on failure; the engine computes and words everything.
/// </summary>
internal static class MeasureCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Output();
        var outputFormat = CommonOptions.OutputImageFormat();
        var options = CommonOptions.FormatOptions();
        var format = CommonOptions.Format();
        var forceShare = CommonOptions.ForceShare();
        var size = new Option<string?>("--size") { Description = "Measure a new image of this virtual size instead of a source image", HelpName = "SIZE" };
        var image = new Argument<string?>("IMAGE") { Description = "The image to measure converting", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("measure", "Calculate the file size a new image needs, converted from IMAGE or of --size");
        command.Options.Add(output);
        command.Options.Add(outputFormat);
        command.Options.Add(options);
        command.Options.Add(format);
        command.Options.Add(forceShare);
        command.Options.Add(size);
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            var sizeText = context.GetValue(size);
            long? virtualSize;
            try
            {
                virtualSize = sizeText is null ? null : QemuSize.ParseImageSize(sizeText);
            }
            catch (QcowOptionsException ex)
            {
                // qemu-img reports a bad --size as two errors, one a line.
                return Refuse(context, ex.Message.Split('\n'));
            }
            QcowMeasurement measurement;
            try
            {
                measurement = QcowMeasurer.Measure(path, new QcowMeasureOptions
                {
                    OutputFormat = context.GetValue(outputFormat)!,
                    OptionList = QemuOptionList.Join(context.GetValue(options)),
                    Size = virtualSize,
                    SourceFormat = context.GetValue(format) is { } formatName ? QemuNames.ParseDriver(formatName) : null,
                    ForceShare = context.GetValue(forceShare),
                }, context.CancellationToken);
            }
            catch (QcowOptionsException ex)
            {
                // One error whose text may run over several lines, then qemu's second error when there is one.
                return Refuse(context, ex.SecondLine() is { } second ? [ex.Message, second] : [ex.Message]);
            }
            context.Out.Write(context.GetValue(output) == OutputFormat.Json ? measurement.ToJson() : measurement.ToHuman());
            return 0;
        });
        return command;
    }

    private static int Refuse(CommandContext context, IEnumerable<string> errors)
    {
        foreach (var error in errors)
        {
            context.Error.WriteLine($"qcowkit: error: {error}");
        }
        return 1;
    }
}
