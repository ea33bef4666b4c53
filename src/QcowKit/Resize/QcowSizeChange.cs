namespace QcowKit.Resize;

/// <summary>
/// The size argument of <c>qemu-img resize</c>: an absolute size, or an amount to add (<c>+SIZE</c>) or take away
/// (<c>-SIZE</c>). Parsed once here for every surface, with qemu-img's refusals.
/// </summary>
public readonly record struct QcowSizeChange
{
    /// <summary>qemu's refusal of a size argument its option parser cannot read.</summary>
    public const string InvalidSizeMessage = "Parameter 'size' expects a non-negative number below 2^64";

    /// <summary>The two hint lines qemu prints after <see cref="InvalidSizeMessage"/>.</summary>
    public const string InvalidSizeHint = "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.";

    /// <summary>qemu-img's refusal of a resulting size that is zero or negative.</summary>
    public const string NotPositiveMessage = "New image size must be positive";

    private QcowSizeChange(int direction, ulong amount)
    {
        Direction = direction;
        Amount = amount;
    }

    /// <summary>0 for an absolute size, +1 to grow by <see cref="Amount"/>, -1 to shrink by it.</summary>
    public int Direction { get; }

    /// <summary>The size in bytes (absolute) or the bytes to add or remove.</summary>
    public ulong Amount { get; }

    /// <summary>An absolute new size.</summary>
    /// <param name="size">The new virtual size in bytes.</param>
    /// <returns>The change.</returns>
    public static QcowSizeChange To(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return new QcowSizeChange(0, (ulong)size);
    }

    /// <summary>Grow by <paramref name="bytes"/>.</summary>
    /// <param name="bytes">Bytes to add.</param>
    /// <returns>The change.</returns>
    public static QcowSizeChange GrowBy(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return new QcowSizeChange(1, (ulong)bytes);
    }

    /// <summary>Shrink by <paramref name="bytes"/>.</summary>
    /// <param name="bytes">Bytes to remove.</param>
    /// <returns>The change.</returns>
    public static QcowSizeChange ShrinkBy(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return new QcowSizeChange(-1, (ulong)bytes);
    }

    /// <summary>Parses <c>SIZE</c>, <c>+SIZE</c> or <c>-SIZE</c> with qemu's size syntax (<see cref="QemuSize.TryParse(string?, out ulong)"/>).</summary>
    /// <param name="text">The argument as given.</param>
    /// <returns>The change.</returns>
    /// <exception cref="QcowOptionsException">qemu's message (<see cref="InvalidSizeMessage"/> with its hint as the second line, or its
    /// out-of-range message for a size above 2^64 - 1).</exception>
    public static QcowSizeChange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var direction = text.Length > 0 ? text[0] switch { '+' => 1, '-' => -1, _ => 0 } : 0;
        var value = direction == 0 ? text : text[1..];
        if (!QemuSize.TryParse(value, out var amount, out var outOfRange))
        {
            if (outOfRange) throw new QcowOptionsException($"Value '{value}' is out of range for parameter 'size'");
            throw new QcowOptionsException(InvalidSizeMessage).WithSecondLine(InvalidSizeHint);
        }
        return new QcowSizeChange(direction, amount);
    }

    /// <summary>
    /// The new size for an image of <paramref name="currentSize"/> bytes, in qemu-img's signed 64-bit arithmetic
    /// (an amount of 2^63 or more wraps negative there, and is refused as not positive).
    /// </summary>
    /// <param name="currentSize">The current virtual size.</param>
    /// <returns>The new virtual size, above zero.</returns>
    /// <exception cref="QcowOptionsException"><see cref="NotPositiveMessage"/>.</exception>
    public long ApplyTo(long currentSize)
    {
        var amount = unchecked((long)Amount);
        var total = unchecked(Direction == 0 ? amount : currentSize + (Direction * amount));
        if (total <= 0)
        {
            throw new QcowOptionsException(NotPositiveMessage);
        }
        return total;
    }

    /// <inheritdoc />
    public override string ToString() => (Direction switch { 1 => "+", -1 => "-", _ => "" }) + Amount.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
