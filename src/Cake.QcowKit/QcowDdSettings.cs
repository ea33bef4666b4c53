namespace Cake.QcowKit;

/// <summary>How <see cref="QcowAliases.QcowDd"/> copies: qemu-img dd's operands and formats, in qemu's spellings (sizes take k, M, G, ... suffixes).</summary>
public sealed class QcowDdSettings
{
    /// <summary><c>bs=</c>: the block size (512 when null).</summary>
    public string? BlockSize { get; set; }

    /// <summary><c>count=</c>: the blocks of the input to consider (all when null).</summary>
    public string? Count { get; set; }

    /// <summary><c>skip=</c>: the blocks skipped at the start (none when null).</summary>
    public string? Skip { get; set; }

    /// <summary><c>-f</c>: the input's format; probed when null.</summary>
    public string? InputFormat { get; set; }

    /// <summary><c>-O</c>: the output's format, <c>raw</c> (when null) or <c>qcow2</c>.</summary>
    public string? OutputFormat { get; set; }
}
