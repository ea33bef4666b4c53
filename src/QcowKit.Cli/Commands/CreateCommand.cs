using System.CommandLine;
using System.Globalization;
using System.Text;
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
        var quiet = CommonOptions.Quiet();
        var image = new Argument<string>("IMAGE") { Description = "Image to create (replaced when it exists)" };
        var size = new Argument<string?>("SIZE") { Description = "Virtual size, with an optional k, M, G, T, P or E suffix", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("create", "Create a new disk image");
        command.Options.Add(format);
        command.Options.Add(options);
        command.Options.Add(backing);
        command.Options.Add(backingFormat);
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
                CreateQcow2(context, path, optionList, sizeText, context.GetValue(backing), context.GetValue(backingFormat), context.GetValue(quiet));
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
        string? backing, string? backingFormat, bool quiet)
    {
        // qemu-img refuses a bad positional size before it looks at the image, so its message names no file.
        var size = ParsePositionalSize(sizeText);
        QcowCreateOptions createOptions;
        try
        {
            createOptions = QcowCreateOptions.Parse(optionList);
            if (size is not null)
            {
                if (createOptions.Size is not null) throw new QcowOptionsException("The image size must be specified only once");
                createOptions.Size = size;
            }
            if (backing is not null) createOptions.BackingFile = backing;
            if (backingFormat is not null) createOptions.BackingFormat = backingFormat;
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(path, CommandActions.OneLine(ex.Message), 1, ex);
        }
        // qemu prints compat as it was given (v3, 1.1 ...), so the line needs the text, not the parsed value.
        var compatText = optionList is null ? null : QemuOptionList.Parse(optionList).LastOrDefault(pair => pair.Key == "compat").Value;
        try
        {
            // Without a size the engine takes the backing file's; qemu prints the line with that size.
            var sizeKnown = createOptions.Size is not null;
            if (!quiet && sizeKnown) context.Out.WriteLine(FormattingLine(path, createOptions, compatText));
            using var created = QcowImage.Create(path, createOptions, context.CancellationToken);
            if (!quiet && !sizeKnown)
            {
                createOptions.Size = created.VirtualSize;
                context.Out.WriteLine(FormattingLine(path, createOptions, compatText));
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

    /// <summary>qemu-img's "Formatting 'IMAGE', fmt=qcow2 ..." line, options in qemu's order.</summary>
    private static string FormattingLine(string path, QcowCreateOptions o, string? compatText)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"Formatting '{path}', fmt=qcow2 cluster_size={o.ClusterSize} extended_l2={OnOff(o.ExtendedL2)}");
        if (o.Preallocation != QcowPreallocation.Off) line.Append(CultureInfo.InvariantCulture, $" preallocation={QemuNames.Name(o.Preallocation)}");
        line.Append(CultureInfo.InvariantCulture, $" compression_type={QemuNames.Name(o.CompressionType)} size={o.Size}");
        if (compatText is not null) line.Append(CultureInfo.InvariantCulture, $" compat={compatText}");
        if (o.BackingFile is not null) line.Append(CultureInfo.InvariantCulture, $" backing_file={o.BackingFile}");
        if (o.BackingFormat is not null) line.Append(CultureInfo.InvariantCulture, $" backing_fmt={o.BackingFormat}");
        if (o.DataFile is not null) line.Append(CultureInfo.InvariantCulture, $" data_file={o.DataFile}");
        if (o.DataFileRaw) line.Append(" data_file_raw=on");
        line.Append(CultureInfo.InvariantCulture, $" lazy_refcounts={OnOff(o.LazyRefcounts)} refcount_bits={o.RefcountBits}");
        return line.ToString();
    }

    private static string OnOff(bool value) => value ? "on" : "off";

    private static void CreateRaw(CommandContext context, string path, string? optionList, string? sizeText, bool quiet)
    {
        var size = ParsePositionalSize(sizeText);
        try
        {
            // Raw takes one option, size, with qcow2's parsing and messages.
            var sizeOption = new QcowCreateOptions();
            foreach (var (key, value) in optionList is null ? [] : QemuOptionList.Parse(optionList))
            {
                if (key != "size") throw new QcowOptionsException($"Invalid parameter '{key}'");
                sizeOption.Set(key, value);
            }
            if (sizeOption.Size is not null)
            {
                if (size is not null) throw new QcowOptionsException("The image size must be specified only once");
                size = sizeOption.Size;
            }
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(path, CommandActions.OneLine(ex.Message), 1, ex);
        }
        if (size is null) throw new CliException(path, "Image creation needs a size parameter");
        if (!quiet) context.Out.WriteLine($"Formatting '{path}', fmt=raw size={size}");
        RawImage.Create(path, size.Value);
    }
}
