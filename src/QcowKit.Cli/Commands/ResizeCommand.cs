using System.CommandLine;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary><c>qcowkit resize [-f qcow2] [--shrink] [-q] IMAGE [+|-]SIZE</c>, as qemu-img resize (prints "Image resized.").</summary>
internal static class ResizeCommand
{
    public static Command Create()
    {
        var format = CommonOptions.Format("-f", "Image format (only qcow2 is resized); probed when omitted");
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
            var text = context.GetValue(size);
            var actual = context.GetValue(format) ?? VirtualDisk.Probe(path);
            if (actual != "qcow2")
            {
                throw new CliException(path, $"qcowkit resizes qcow2 images only (this one is {actual})");
            }
            var relative = text.Length > 0 && (text[0] == '+' || text[0] == '-') ? text[0] : '\0';
            if (!QemuSize.TryParse(relative == '\0' ? text : text[1..], out var amount) || amount > long.MaxValue)
            {
                throw new CliException(null, "Invalid image size specified. Must be between 0 and 9223372036854775807.");
            }
            try
            {
                using var qcow = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite });
                var target = relative switch
                {
                    '+' => qcow.VirtualSize + (long)amount,
                    '-' => qcow.VirtualSize - (long)amount,
                    _ => (long)amount,
                };
                if (target < 0)
                {
                    throw new CliException(null, "New image size must be positive");
                }
                qcow.Resize(target, context.GetValue(shrink), context.CancellationToken);
            }
            catch (InvalidOperationException ex)
            {
                throw new CliException(path, CommandActions.OneLine(ex.Message), 1, ex);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(path, ImageOpener.Describe(ex), 1, ex);
            }
            if (!context.GetValue(quiet)) context.Out.WriteLine("Image resized.");
            return 0;
        });
        return command;
    }
}
