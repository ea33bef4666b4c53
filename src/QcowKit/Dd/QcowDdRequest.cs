namespace QcowKit.Dd;

/// <summary>What <c>qemu-img dd</c> is asked to do: its options and its <c>NAME=VALUE</c> operands as given.</summary>
public sealed class QcowDdRequest
{
    /// <summary>
    /// The operands in the order given: <c>if=INPUT</c>, <c>of=OUTPUT</c>, <c>bs=BLOCK_SIZE</c> (1 to 2^31 - 1,
    /// 512 by default), <c>count=BLOCKS</c>, <c>skip=BLOCKS</c> (sizes with qemu's suffixes); a later one wins.
    /// </summary>
    public required IReadOnlyList<string> Operands { get; init; }

    /// <summary><c>-f</c>: the input's format name; probed when null.</summary>
    public string? InputFormat { get; init; }

    /// <summary><c>-O</c>: the output's format name (<c>raw</c> or <c>qcow2</c>); raw when null, as in qemu-img.</summary>
    public string? OutputFormat { get; init; }

    /// <summary><c>-U</c>: open the input despite other processes' write locks.</summary>
    public bool ForceShare { get; init; }
}
