using Microsoft.Build.Framework;
using QcowKit.Dd;

namespace QcowKit.Tasks;

/// <summary>
/// <c>qemu-img dd</c>: copies the input's guest bytes from <see cref="Skip"/> blocks on into a new raw or qcow2 image
/// (all or nothing), with qemu's sizes; the engine parses the operands and words every refusal (QCOW1055).
/// </summary>
/// <example>
/// <code>
/// &lt;QcowDd Input="disk.qcow2" Output="out/tail.qcow2" OutputFormat="qcow2" BlockSize="1M" Skip="16" /&gt;
/// </code>
/// </example>
public sealed class QcowDd : QcowTask
{
    /// <summary>The image read.</summary>
    [Required]
    public ITaskItem Input { get; set; } = null!;

    /// <summary>The new image (replaced if it exists).</summary>
    [Required]
    public ITaskItem Output { get; set; } = null!;

    /// <summary><c>bs=</c>: the block size in qemu's spelling; 512 when empty.</summary>
    public string? BlockSize { get; set; }

    /// <summary><c>count=</c>: the blocks of the input to consider; all when empty.</summary>
    public string? Count { get; set; }

    /// <summary><c>skip=</c>: the blocks skipped at the start; none when empty.</summary>
    public string? Skip { get; set; }

    /// <summary><c>-f</c>: the input's format; probed when empty.</summary>
    public string? InputFormat { get; set; }

    /// <summary><c>-O</c>: the output's format, <c>raw</c> (when empty) or <c>qcow2</c>.</summary>
    public string? OutputFormat { get; set; }

    /// <summary>The output's virtual size.</summary>
    [Output]
    public long OutputSize { get; private set; }

    /// <inheritdoc />
    protected override void Run()
    {
        var input = Input.GetMetadata("FullPath");
        var output = Output.GetMetadata("FullPath");
        if (!ImageFile.Exists(this, input)) return;
        var operands = new List<string>();
        if (!string.IsNullOrEmpty(BlockSize)) operands.Add($"bs={BlockSize}");
        if (!string.IsNullOrEmpty(Count)) operands.Add($"count={Count}");
        if (!string.IsNullOrEmpty(Skip)) operands.Add($"skip={Skip}");
        operands.Add($"if={input}");
        operands.Add($"of={output}");
        QcowDdResult result;
        try
        {
            result = global::QcowKit.Dd.QcowDd.Run(new QcowDdRequest
            {
                Operands = operands,
                InputFormat = string.IsNullOrEmpty(InputFormat) ? null : InputFormat,
                OutputFormat = string.IsNullOrEmpty(OutputFormat) ? null : OutputFormat,
            }, CancellationToken);
        }
        catch (Exception exception) when (ImageFile.LogIfLocked(this, exception))
        {
            return;
        }
        catch (OutputIsInputException exception)
        {
            LogErrorFor(output, "OutputIsInput", exception.Message);
            return;
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            LogErrorFor(input, "DdFailed", input, output, exception.Message);
            return;
        }
        OutputSize = result.OutputSize;
        if (result.Warning is { } warning)
        {
            Log.LogMessageFromResources(MessageImportance.High, "DdWarning", warning);
        }
        Log.LogMessageFromResources(MessageImportance.Normal, "DdCopied", input, output, result.OutputSize);
    }
}
