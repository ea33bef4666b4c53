using System.Text;

namespace QcowKit.Seed.Fat;

/// <summary>
/// 8.3 names: which long names are already valid short names, and the basis-name-plus-numeric-tail
/// generation of the FAT specification (fatgen103, "Basis-Name Generation Algorithm") for the rest.
/// </summary>
internal static class FatShortName
{
    internal const int Length = 11;
    private const string ValidSpecials = "!#$%&'()-@^_`{}~";

    /// <summary>True when a character may appear in a short name (ASCII only: no code page is assumed).</summary>
    public static bool IsValidShortChar(char c) =>
        c is >= 'A' and <= 'Z' or >= '0' and <= '9' || ValidSpecials.Contains(c, StringComparison.Ordinal);

    /// <summary>
    /// The 11-byte short name when <paramref name="name"/> is already an upper-case 8.3 name, so no long name
    /// entry is needed; null otherwise.
    /// </summary>
    public static string? AsExactShortName(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var stem = dot < 0 ? name : name[..dot];
        var extension = dot < 0 ? string.Empty : name[(dot + 1)..];
        if (stem.Length is 0 or > 8 || extension.Length > 3 || dot >= 0 && extension.Length == 0) return null;
        foreach (var c in stem)
        {
            if (!IsValidShortChar(c)) return null;
        }
        foreach (var c in extension)
        {
            if (!IsValidShortChar(c)) return null;
        }
        return stem.PadRight(8) + extension.PadRight(3);
    }

    /// <summary>
    /// A short name for a long name that needs one, unique within <paramref name="taken"/> (which it is added to).
    /// The basis name is used as is when the conversion lost nothing; otherwise ~1, ~2, ... tails are tried.
    /// </summary>
    public static string Generate(string longName, HashSet<string> taken)
    {
        var lossy = false;
        var upper = longName.ToUpperInvariant();
        var trimmed = upper.Replace(" ", string.Empty, StringComparison.Ordinal).TrimStart('.');
        if (trimmed.Length != upper.Length) lossy = true;
        var lastDot = trimmed.LastIndexOf('.');
        var stemSource = lastDot < 0 ? trimmed : trimmed[..lastDot];
        var extensionSource = lastDot < 0 ? string.Empty : trimmed[(lastDot + 1)..];

        var stem = new StringBuilder(8);
        var truncated = false;
        foreach (var c in stemSource)
        {
            if (c == '.')
            {
                lossy = true;
                continue;
            }
            if (stem.Length == 8)
            {
                truncated = true;
                break;
            }
            stem.Append(Map(c, ref lossy));
        }
        var extension = new StringBuilder(3);
        foreach (var c in extensionSource)
        {
            if (extension.Length == 3)
            {
                truncated = true;
                break;
            }
            extension.Append(Map(c, ref lossy));
        }
        if (stem.Length == 0)
        {
            stem.Append('_');
            lossy = true;
        }

        var extensionPart = extension.ToString().PadRight(3);
        if (!lossy && !truncated)
        {
            var basis = stem.ToString().PadRight(8) + extensionPart;
            if (taken.Add(basis)) return basis;
        }
        for (var n = 1; n <= 999_999; n++)
        {
            var tail = "~" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var keep = Math.Min(stem.Length, 8 - tail.Length);
            var candidate = (stem.ToString(0, keep) + tail).PadRight(8) + extensionPart;
            if (taken.Add(candidate)) return candidate;
        }
        throw new SeedException($"No free short name for '{longName}': 999999 names with the same basis are taken.");
    }

    /// <summary>The LFN checksum of an 11-byte short name (rotate right, add), stored in every long name entry.</summary>
    public static byte Checksum(ReadOnlySpan<byte> shortName)
    {
        byte sum = 0;
        foreach (var b in shortName)
        {
            sum = (byte)(((sum & 1) << 7) + (sum >> 1) + b);
        }
        return sum;
    }

    /// <summary>The 11 bytes of a short name as stored in the entry.</summary>
    public static byte[] ToBytes(string shortName) => Encoding.ASCII.GetBytes(shortName);

    private static char Map(char c, ref bool lossy)
    {
        if (IsValidShortChar(c)) return c;
        lossy = true;
        return '_';
    }
}
