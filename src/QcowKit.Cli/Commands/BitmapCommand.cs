using System.CommandLine;
using System.CommandLine.Parsing;
using QcowKit.Bitmaps;
using QcowKit.Cli.Infrastructure;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit bitmap (--add | --remove | --clear | --enable | --disable | --merge SRC [-b SRC_FILE [-F SRC_FMT]]) [-g GRANULARITY] [-f FMT] IMAGE BITMAP</c>,
/// as qemu-img bitmap: the operations are taken in the order given and handed to <see cref="QcowBitmaps.Apply"/>, which
/// decides and words every refusal.
/// </summary>
internal static class BitmapCommand
{
    public static Command Create()
    {
        var add = new Option<bool>("--add") { Description = "Create the bitmap (empty; enabled unless --disable is given too)" };
        var remove = new Option<bool>("--remove") { Description = "Delete the bitmap" };
        var clear = new Option<bool>("--clear") { Description = "Clear every bit of the bitmap" };
        var enable = new Option<bool>("--enable") { Description = "Let the bitmap record guest writes" };
        var disable = new Option<bool>("--disable") { Description = "Stop the bitmap recording guest writes" };
        var merge = new Option<string[]>("--merge") { Description = "Set every bit set in bitmap SRC", HelpName = "SRC", AllowMultipleArgumentsPerToken = false };
        var granularity = new Option<string?>("-g", "--granularity") { HelpName = "GRANULARITY", Description = "Granularity of an added bitmap (a power of 2, at least 512; default: the cluster size within 4k..64k)" };
        var format = CommonOptions.Format("-f", "Image format (qcow2); probed when omitted");
        var sourceFile = new Option<string?>("-b", "--source-file") { HelpName = "SRC_FILE", Description = "Image holding the --merge source bitmaps (default: IMAGE)" };
        var sourceFormat = new Option<string?>("-F", "--source-format") { HelpName = "SRC_FMT", Description = "Format of the -b image; probed when omitted" };
        // One free argument list, so that a wrong count gets qemu-img's message after its option checks.
        var names = new Argument<string[]>("IMAGE BITMAP") { Description = "Image whose bitmap changes, and the bitmap's name", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("bitmap", "Add, remove, clear, enable, disable or merge persistent dirty bitmaps");
        foreach (var option in new Option[] { add, remove, clear, enable, disable, merge, granularity, format, sourceFile, sourceFormat })
        {
            command.Options.Add(option);
        }
        command.Arguments.Add(names);
        var actions = new Dictionary<Option, QcowBitmapAction>
        {
            [add] = QcowBitmapAction.Add,
            [remove] = QcowBitmapAction.Remove,
            [clear] = QcowBitmapAction.Clear,
            [enable] = QcowBitmapAction.Enable,
            [disable] = QcowBitmapAction.Disable,
            [merge] = QcowBitmapAction.Merge,
        };
        CommandActions.Set(command, context =>
        {
            var positional = context.GetValue(names) ?? [];
            var path = positional.Length > 0 ? positional[0] : string.Empty;
            CommandActions.RunOnImage(path, () =>
            {
                // qemu-img parses -g while it reads the options, before it looks at anything else.
                var size = context.GetValue(granularity) is { } text ? QcowBitmaps.ParseGranularity(text) : (long?)null;
                var request = new QcowBitmapRequest
                {
                    BitmapName = positional.Length > 1 ? positional[1] : string.Empty,
                    Operations = Operations(context.ParseResult, actions, context.GetValue(merge) ?? []),
                    Granularity = size,
                    Format = context.GetValue(format) is { } name ? QemuNames.ParseDriver(name) : null,
                    SourceFile = context.GetValue(sourceFile),
                    SourceFormat = context.GetValue(sourceFormat) is { } source ? QemuNames.ParseDriver(source) : null,
                };
                QcowBitmaps.Validate(request);
                if (positional.Length != 2)
                {
                    throw new QcowOptionsException(QcowBitmaps.ExpectingImageAndBitmapMessage);
                }
                QcowBitmaps.Apply(path, request, context.CancellationToken);
            });
            return 0;
        });
        return command;
    }

    /// <summary>The operation options in the order they were given (qemu-img applies them in that order).</summary>
    private static List<QcowBitmapOperation> Operations(ParseResult parseResult, Dictionary<Option, QcowBitmapAction> actions, string[] sources)
    {
        var occurrences = new List<(int Position, QcowBitmapAction Action)>();
        foreach (var (option, action) in actions)
        {
            occurrences.AddRange(parseResult.Tokens.Select((token, index) => (token, index))
                .Where(t => t.token.Type == TokenType.Option && (t.token.Value == option.Name || option.Aliases.Contains(t.token.Value)))
                .Select(t => (t.index, action)));
        }
        var merged = 0;
        return [.. occurrences.OrderBy(o => o.Position).Select(o => o.Action == QcowBitmapAction.Merge
            ? new QcowBitmapOperation(o.Action, sources[merged++])
            : new QcowBitmapOperation(o.Action))];
    }
}
