using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Dd;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// <c>qemu-img dd</c>: copies the input's guest bytes from <see cref="QcowDdSettings.Skip"/> blocks on into a new raw or
    /// qcow2 image (all or nothing), with qemu's sizes and refusals (the engine's <see cref="QcowDd.Run"/>).
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="input">The image read.</param>
    /// <param name="output">The new image (replaced if it exists).</param>
    /// <param name="settings">Block size, count, skip and formats; null for qemu-img's defaults (512-byte blocks, the whole input, raw output).</param>
    /// <returns>The output's size and qemu-img's warning for a skip past the end.</returns>
    /// <exception cref="QcowOptionsException">qemu-img's refusal (a bad block size, an unknown format, ...).</exception>
    /// <example>
    /// <code>
    /// QcowDd("./disk.qcow2", "./tail.qcow2", new QcowDdSettings { BlockSize = "1M", Skip = "16", OutputFormat = "qcow2" });
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static QcowDdResult QcowDd(this ICakeContext context, FilePath input, FilePath output, QcowDdSettings? settings = null)
    {
        var inputPath = Resolve(context, input, nameof(input));
        var outputPath = Resolve(context, output, nameof(output));
        settings ??= new QcowDdSettings();
        var operands = new List<string>();
        if (settings.BlockSize is { } bs) operands.Add($"bs={bs}");
        if (settings.Count is { } count) operands.Add($"count={count}");
        if (settings.Skip is { } skip) operands.Add($"skip={skip}");
        operands.Add($"if={inputPath}");
        operands.Add($"of={outputPath}");
        var result = global::QcowKit.Dd.QcowDd.Run(new QcowDdRequest
        {
            Operands = operands,
            InputFormat = settings.InputFormat,
            OutputFormat = settings.OutputFormat,
        });
        if (result.Warning is { } warning)
        {
            context.Log.Warning("QcowDd: {0}", warning);
        }
        context.Log.Information("QcowDd {0} -> {1}: {2} bytes", inputPath, outputPath, result.OutputSize);
        return result;
    }
}
