using System.CommandLine;
using QcowKit.Cli.Infrastructure;
using QcowKit.Resize;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit resize [-f FMT] [--shrink] [-q] IMAGE [+|-]SIZE</c>, as qemu-img resize (prints "Image resized."): the engine's
/// <see cref="QcowResizer"/> parses the size, decides and words every refusal.
/// </summary>
internal static class ResizeCommand
{
    public static Command Create()
    {
        var format = CommonOptions.Format("-f", "Image format (qcow2 or raw); probed when omitted");
        var shrink = new Option<bool>("--shrink") { Description = "Allow the image to become smaller (refused while data lies past the new end)" };
        var quiet = CommonOptions.Quiet();
        var image = new Argument<string>("IMAGE") { Description = "Image to resize" };
        var size = new Argument<string>("SIZE") { Description = "New size, or +SIZE / -SIZE relative to the current one" };
        var command = new Command("resize", "Change the virtual size of an image");
        command.Options.Add(format);
        command.Options.Add(shrink);
        command.Options.Add(quiet);
        command.Arguments.Add(image);
        command.Arguments.Add(size);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            CommandActions.RunOnImage(path, () => QcowResizer.Resize(path, new QcowResizeOptions
            {
                Size = QcowSizeChange.Parse(context.GetValue(size)),
                Shrink = context.GetValue(shrink),
                Format = context.GetValue(format) is { } name ? QemuNames.ParseDriver(name) : null,
            }, context.CancellationToken));
            if (!context.GetValue(quiet)) context.Out.WriteLine("Image resized.");
            return 0;
        });
        return command;
    }
}
