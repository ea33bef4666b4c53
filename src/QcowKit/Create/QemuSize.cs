using System.Globalization;

namespace QcowKit;

/// <summary>
/// Sizes written the way qemu accepts them (<c>qemu_strtosz</c>): a decimal or <c>0x</c> hex number,
/// optionally with a fraction, and an optional suffix <c>b</c>, <c>k</c>, <c>M</c>, <c>G</c>, <c>T</c>,
/// <c>P</c> or <c>E</c> (any case, powers of 1024). A fraction needs a suffix larger than bytes.
/// </summary>
public static class QemuSize
{
    /// <summary>qemu-img's refusal of a positional size argument it cannot parse.</summary>
    public const string InvalidSizeMessage =
        "Invalid image size specified. You may use k, M, G, T, P or E suffixes for\nkilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.";

    /// <summary>qemu-img's refusal of a size that parses but does not fit a signed 64-bit length.</summary>
    public const string SizeRangeMessage = "Invalid image size specified. Must be between 0 and 9223372036854775807.";

    /// <summary>
    /// Parses a size given to any QcowKit surface (a limit, a disk size, an offset, a length). Surfaces
    /// prefix the message with their own name for the parameter.
    /// </summary>
    /// <exception cref="QcowOptionsException">The text is not a size or the value is above <see cref="long.MaxValue"/>.</exception>
    public static long Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var value) || value > long.MaxValue)
        {
            throw new QcowOptionsException(
                $"'{text}' is not a size: expected a number from 0 to 2^63-1 (decimal or 0x hex, a fraction needs a suffix) with an optional suffix B, k, M, G, T, P or E (powers of 1024)");
        }
        return (long)value;
    }

    /// <summary>Parses a size; false when qemu would reject the text or the value exceeds 2^64 - 1.</summary>
    public static bool TryParse(string? text, out ulong value) => TryParse(text, out value, out _);

    /// <summary>
    /// As <see cref="TryParse(string?, out ulong)"/>; <paramref name="outOfRange"/> tells a well-formed size above
    /// 2^64 - 1 (qemu's ERANGE, worded differently by qemu) from malformed text.
    /// </summary>
    internal static bool TryParse(string? text, out ulong value, out bool outOfRange)
    {
        value = 0;
        outOfRange = false;
        if (text is null) return false;
        var s = text.AsSpan().TrimStart();
        if (s.Length == 0 || s[0] == '-' || s[0] == '+') return false;

        int pos;
        ulong whole;
        bool digitsOverflow;
        var isHex = s.Length > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        if (isHex)
        {
            pos = 2;
            while (pos < s.Length && Uri.IsHexDigit(s[pos])) pos++;
            if (pos == 2) return false;
            digitsOverflow = !ulong.TryParse(s[2..pos], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out whole);
        }
        else
        {
            pos = 0;
            while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
            if (pos == 0) return false;
            digitsOverflow = !ulong.TryParse(s[..pos], NumberStyles.None, CultureInfo.InvariantCulture, out whole);
        }

        var fraction = 0.0;
        if (!isHex && pos < s.Length && s[pos] == '.')
        {
            var start = pos;
            pos++;
            while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
            if (pos < s.Length && (s[pos] == 'e' || s[pos] == 'E') && pos + 1 < s.Length && (char.IsAsciiDigit(s[pos + 1]) || s[pos + 1] == '-' || s[pos + 1] == '+'))
            {
                return false; // qemu refuses exponents rather than reading 'E' as exabytes
            }
            fraction = pos - start > 1 ? double.Parse(s[start..pos], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) : 0.0;
        }

        ulong multiplier = 1;
        var hasSuffix = false;
        if (pos < s.Length)
        {
            multiplier = char.ToUpperInvariant(s[pos]) switch
            {
                'B' => 1UL,
                'K' => 1UL << 10,
                'M' => 1UL << 20,
                'G' => 1UL << 30,
                'T' => 1UL << 40,
                'P' => 1UL << 50,
                'E' => 1UL << 60,
                _ => 0UL,
            };
            if (multiplier == 0) return false;
            hasSuffix = true;
            pos++;
        }
        if (pos != s.Length || (fraction != 0 && (!hasSuffix || multiplier == 1))) return false;

        var extra = (ulong)(fraction * multiplier);
        outOfRange = digitsOverflow || (multiplier != 1 && whole > ulong.MaxValue / multiplier) || whole * multiplier > ulong.MaxValue - extra;
        if (outOfRange) return false;
        var result = whole * multiplier;
        value = result + extra;
        return true;
    }

    /// <summary>qemu-img's cvtnum for a byte count such as map's <c>--start-offset</c> and <c>--max-length</c>, with its message.</summary>
    /// <param name="text">The value as given.</param>
    /// <param name="what">qemu's name of the value in its message, e.g. <c>start offset</c>.</param>
    /// <returns>The count.</returns>
    /// <exception cref="QcowOptionsException"><c>Invalid WHAT specified. You may use k, M, G, T, P or E suffixes for ...</c></exception>
    public static long ParseByteCount(string text, string what)
    {
        if (!TryParse(text, out var value) || value > long.MaxValue)
        {
            throw new QcowOptionsException(
                $"Invalid {what} specified. You may use k, M, G, T, P or E suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
        return (long)value;
    }

    /// <summary>
    /// Parses a positional image size (<c>qemu-img create IMAGE SIZE</c>), refusing with qemu-img's messages.
    /// </summary>
    /// <exception cref="QcowOptionsException">The size is malformed or above <see cref="long.MaxValue"/>.</exception>
    public static long ParseImageSize(string text)
    {
        if (!TryParse(text, out var value)) throw new QcowOptionsException(InvalidSizeMessage);
        if (value > long.MaxValue) throw new QcowOptionsException(SizeRangeMessage);
        return (long)value;
    }
}
