using System.CommandLine;
using QcowKit.Cli.Infrastructure;
using QcowKit.Dd;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit dd [-f FMT] [-O OUTPUT_FMT] [-U] [bs=BLOCK_SIZE] [count=BLOCKS] [skip=BLOCKS] if=INPUT of=OUTPUT</c>, as
/// qemu-img dd: the operands go to <see cref="QcowDd.Run"/> as given; it parses and refuses them in qemu's words.
/// </summary>
internal static class DdCommand
{
    public static Command Create()
    {
        var format = CommonOptions.Format("-f", "Input format (qcow2 or raw); probed when omitted");
        var outputFormat = new Option<string?>("-O") { HelpName = "OUTPUT_FMT", Description = "Output format (raw or qcow2; raw by default)" };
        var forceShare = CommonOptions.ForceShare();
        var operands = new Argument<string[]>("OPERAND") { Description = "if=INPUT of=OUTPUT [bs=BLOCK_SIZE] [count=BLOCKS] [skip=BLOCKS]", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("dd", "Copy a range of blocks of an image into a new image");
        command.Options.Add(format);
        command.Options.Add(outputFormat);
        command.Options.Add(forceShare);
        command.Arguments.Add(operands);
        CommandActions.Set(command, context =>
        {
            var request = new QcowDdRequest
            {
                Operands = context.GetValue(operands) ?? [],
                InputFormat = context.GetValue(format),
                OutputFormat = context.GetValue(outputFormat),
                ForceShare = context.GetValue(forceShare),
            };
            QcowDdResult? result = null;
            CommandActions.RunOnImage(Input(request.Operands), () => result = QcowDd.Run(request, context.CancellationToken));
            if (result?.Warning is { } warning) context.Error.WriteLine($"qcowkit: error: {warning}");
            return 0;
        });
        return command;
    }

    /// <summary>The file an open failure names: the last <c>if=</c> operand.</summary>
    private static string Input(IReadOnlyList<string> operands) =>
        operands.LastOrDefault(o => o.StartsWith("if=", StringComparison.Ordinal)) is { } input ? input[3..] : string.Empty;
}
