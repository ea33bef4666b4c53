using System.CommandLine;
using QcowKit.Cli.Infrastructure;
using QcowKit.Format;
using QcowKit.Image;
using QcowKit.Image.Locking;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit create [-f qcow2|raw] [-o OPTIONS] [-b BACKING [-F FMT]] [-q] IMAGE [SIZE]</c>: qemu-img create's
/// options, "Formatting ..." line, refusals (same messages) and exit code 1 on failure.
/// </summary>
internal static class CreateCommand
{
    public static Command Create()
    {
        var format = new Option<string>("-f") { Description = "Image format: qcow2 (default) or raw", HelpName = "FMT", DefaultValueFactory = _ => "qcow2" };
        var options = CommonOptions.FormatOptions();
        var backing = new Option<string?>("-b") { Description = "Backing file of the new image (size defaults to its size)", HelpName = "BACKING" };
        var backingFormat = new Option<string?>("-F") { Description = "Format of the backing file (qcow2 or raw)", HelpName = "FMT" };
        var unsafeBacking = new Option<bool>("-u") { Description = "Do not open the backing file (it may not exist yet); the size must be given" };
        var quiet = CommonOptions.Quiet();
        var image = new Argument<string>("IMAGE") { Description = "Image to create (replaced when it exists)" };
        var size = new Argument<string?>("SIZE") { Description = "Virtual size, with an optional k, M, G, T, P or E suffix", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("create", "Create a new disk image");
        command.Options.Add(format);
        command.Options.Add(options);
        command.Options.Add(backing);
        command.Options.Add(backingFormat);
        command.Options.Add(unsafeBacking);
        command.Options.Add(quiet);
        command.Arguments.Add(image);
        command.Arguments.Add(size);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            var optionList = QemuOptionList.Join(context.GetValue(options));
            var sizeText = context.GetValue(size);
            var formatName = context.GetValue(format);
            if (!QemuNames.TryParseImageFormat(formatName, out var imageFormat))
            {
                throw new CliException(path, $"Unknown file format '{formatName}' (qcowkit creates qcow2 and raw)");
            }
            if (imageFormat == QcowImageFormat.Qcow2)
            {
                CreateQcow2(context, path, optionList, sizeText, context.GetValue(backing), context.GetValue(backingFormat), context.GetValue(unsafeBacking), context.GetValue(quiet));
            }
            else
            {
                CreateRaw(context, path, optionList, sizeText, context.GetValue(quiet));
            }
            return 0;
        });
        return command;
    }

    private static void CreateQcow2(CommandContext context, string path, string? optionList, string? sizeText,
        string? backing, string? backingFormat, bool unsafeBacking, bool quiet)
    {
        // qemu-img refuses a bad positional size before it looks at the image, so its message names no file.
        var size = ParsePositionalSize(sizeText);
        QcowCreateOptions createOptions;
        try
        {
            createOptions = QcowCreateOptions.Parse(optionList);
            if (size is not null) createOptions.SetPositionalSize(size.Value);
            if (backing is not null) createOptions.BackingFile = backing;
            if (backingFormat is not null) createOptions.BackingFormat = backingFormat;
            createOptions.Unsafe = unsafeBacking;
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(path, CommandActions.OneLine(ex.Message), 1, ex);
        }
        try
        {
            // Without a size the engine takes the backing file's; qemu prints the line with that size.
            var sizeKnown = createOptions.Size is not null;
            if (!quiet && sizeKnown) context.Out.WriteLine(createOptions.QemuFormattingLine(path));
            using var created = QcowImage.Create(path, createOptions, context.CancellationToken);
            if (!quiet && !sizeKnown)
            {
                createOptions.Size = created.VirtualSize;
                context.Out.WriteLine(createOptions.QemuFormattingLine(path));
            }
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(path, CommandActions.OneLine(ex.Message), 1, ex);
        }
    }

    private static long? ParsePositionalSize(string? sizeText)
    {
        if (string.IsNullOrEmpty(sizeText)) return null;
        try
        {
            return QemuSize.ParseImageSize(sizeText);
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(null, CommandActions.OneLine(ex.Message), 1, ex);
        }
    }

    private static void CreateRaw(CommandContext context, string path, string? optionList, string? sizeText, bool quiet)
    {
        var positionalSize = ParsePositionalSize(sizeText);
        long size;
        try
        {
            size = QcowCreateOptions.RawImageSize(optionList, positionalSize);
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(path, CommandActions.OneLine(ex.Message), 1, ex);
        }
        if (!quiet) context.Out.WriteLine($"Formatting '{path}', fmt=raw size={size}");
        RawImage.Create(path, size);
    }
}
