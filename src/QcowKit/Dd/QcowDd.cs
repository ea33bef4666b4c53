using QcowKit.Image;

namespace QcowKit.Dd;

/// <summary>
/// <c>qemu-img dd</c> 7.2: copies <c>skip</c> blocks on of the input into a new raw or qcow2 image, through the
/// converter's all-or-nothing write paths (the output appears complete or not at all; an output that is one of the
/// input's files is refused). The operands, their checks, messages and order, and the output size are qemu's,
/// including its arithmetic for <c>count</c> with <c>skip</c>: the input is cut at <c>count</c> blocks first, then
/// <c>skip</c> blocks are dropped from that, so <c>count=10 skip=3</c> copies 7 blocks.
/// </summary>
public static class QcowDd
{
    /// <summary>qemu-img's refusal when <c>if=</c> or <c>of=</c> is missing.</summary>
    public const string MissingFilesMessage = "Must specify both input and output files";

    /// <summary>qemu-img's refusal of an output format it does not know (QcowKit writes raw and qcow2).</summary>
    public const string UnknownOutputFormatMessage = "Unknown file format";

    /// <summary>Runs <paramref name="request"/>.</summary>
    /// <param name="request">The operands and options.</param>
    /// <param name="cancellationToken">Cancels the copy; nothing is left behind.</param>
    /// <returns>The output's size and qemu-img's warning, if any.</returns>
    /// <exception cref="QcowOptionsException">qemu-img's refusals of the operands and formats, worded as qemu-img words them.</exception>
    /// <exception cref="OutputIsInputException">The output is one of the files the input reads.</exception>
    /// <exception cref="QcowException">The input cannot be opened or read, or the output cannot be written.</exception>
    public static QcowDdResult Run(QcowDdRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Operands);
        var operands = DdOperands.Parse(request.Operands);
        if (operands.Input is not { } input || operands.Output is not { } output)
        {
            throw new QcowOptionsException(MissingFilesMessage);
        }
        QcowImageFormat? inputFormat = null;
        if (request.InputFormat is { } name)
        {
            inputFormat = QemuNames.TryParseImageFormat(name, out var parsed)
                ? parsed
                : throw new QcowOptionsException($"Could not open '{input}': Unknown driver '{name}'");
        }
        using var source = VirtualDisk.Open(input, inputFormat,
            new QcowOpenOptions { ForceShare = request.ForceShare, ConversionSource = true });
        if (!QemuNames.TryParseImageFormat(request.OutputFormat ?? "raw", out var outputFormat))
        {
            throw new QcowOptionsException(UnknownOutputFormatMessage);
        }
        var size = source.VirtualSize;
        var blockSize = operands.BlockSize;
        if (operands.Count is { } count && count <= long.MaxValue / blockSize && count * blockSize < size)
        {
            size = count * blockSize;
        }
        string? warning = null;
        long start;
        if (operands.Skip > long.MaxValue / blockSize || size < operands.Skip * blockSize)
        {
            // As dd(1): an empty output, and the run still succeeds.
            warning = $"{input}: cannot skip to specified offset";
            start = size;
        }
        else
        {
            start = operands.Skip * blockSize;
        }
        using var window = new DiskWindow(source, start, size - start);
        QcowConverter.Convert(window, output, new QcowConvertOptions { OutputFormat = outputFormat }, null, cancellationToken);
        return new QcowDdResult(size - start, warning);
    }
}
