namespace QcowKit.Dd;

/// <summary>qemu-img dd's <c>NAME=VALUE</c> operands, parsed in order with qemu's checks (the first refusal wins).</summary>
internal sealed class DdOperands
{
    internal string? Input { get; private set; }

    internal string? Output { get; private set; }

    internal long BlockSize { get; private set; } = 512;

    internal long? Count { get; private set; }

    internal long Skip { get; private set; }

    internal static DdOperands Parse(IReadOnlyList<string> operands)
    {
        var parsed = new DdOperands();
        foreach (var operand in operands)
        {
            var at = operand.IndexOf('=', StringComparison.Ordinal);
            var name = at < 0 ? operand : operand[..at];
            var value = at < 0 ? string.Empty : operand[(at + 1)..];
            switch (at < 0 ? null : name)
            {
                case "bs":
                    parsed.BlockSize = Number("bs", value, 1, int.MaxValue);
                    break;
                case "count":
                    parsed.Count = Number("count", value, 0, long.MaxValue);
                    break;
                case "if":
                    parsed.Input = value;
                    break;
                case "of":
                    parsed.Output = value;
                    break;
                case "skip":
                    parsed.Skip = Number("skip", value, 0, long.MaxValue);
                    break;
                default:
                    throw new QcowOptionsException($"unrecognized operand {name}");
            }
        }
        return parsed;
    }

    /// <summary>qemu-img's cvtnum_full: a size with qemu's suffixes within [min, max], refused in qemu's words.</summary>
    private static long Number(string name, string text, long min, long max)
    {
        if (!QemuSize.TryParse(text, out var value, out var outOfRange) && !outOfRange)
        {
            throw new QcowOptionsException($"Invalid {name} specified. You may use k, M, G, T, P or E suffixes for")
                .WithSecondLine("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
        if (outOfRange || value > (ulong)max || value < (ulong)min)
        {
            throw new QcowOptionsException($"Invalid {name} specified. Must be between {min} and {max}.");
        }
        return (long)value;
    }
}
