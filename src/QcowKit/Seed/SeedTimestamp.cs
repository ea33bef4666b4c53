using System.Globalization;
using QcowKit.Seed.Fat;

namespace QcowKit.Seed;

/// <summary>
/// The time stamped on seeded files: parsed from the text every surface accepts, and chosen for
/// reproducible output (an explicit time, else <c>SOURCE_DATE_EPOCH</c>, else the FAT epoch 1980-01-01)
/// here only, so that the CLI, Cake and MSBuild produce the same bytes from the same inputs.
/// </summary>
public static class SeedTimestamp
{
    /// <summary>The environment variable of reproducible builds (reproducible-builds.org): seconds since 1970, UTC.</summary>
    public const string SourceDateEpochVariable = "SOURCE_DATE_EPOCH";

    /// <summary>The latest time accepted as seconds since 1970 (9999-12-31 23:59:59 UTC).</summary>
    private const long MaxEpochSeconds = 253402300799;

    /// <summary>Parses an ISO 8601 time (UTC unless it names a zone) or <c>@SECONDS</c> since 1970.</summary>
    /// <exception cref="QcowOptionsException">The text is neither.</exception>
    public static DateTime Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('@'))
        {
            return FromEpochSeconds(text[1..]) ?? throw new QcowOptionsException($"'{text}' is not @SECONDS since 1970");
        }
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }
        throw new QcowOptionsException($"'{text}' is not an ISO 8601 time or @SECONDS since 1970");
    }

    /// <summary>
    /// The fixed time for every entry: <paramref name="timestamp"/> when given; in reproducible mode
    /// <c>SOURCE_DATE_EPOCH</c> when set, else 1980-01-01; otherwise null (each file's own time).
    /// </summary>
    /// <exception cref="QcowOptionsException"><c>SOURCE_DATE_EPOCH</c> is set but is not a number of seconds.</exception>
    public static DateTime? Resolve(DateTime? timestamp, bool reproducible)
    {
        if (timestamp is not null) return timestamp;
        if (!reproducible) return null;
        if (Environment.GetEnvironmentVariable(SourceDateEpochVariable) is { Length: > 0 } epoch)
        {
            return FromEpochSeconds(epoch) ?? throw new QcowOptionsException($"{SourceDateEpochVariable}: '{epoch}' is not a number of seconds since 1970");
        }
        return FatTimestamp.Epoch;
    }

    private static DateTime? FromEpochSeconds(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= MaxEpochSeconds
            ? DateTime.UnixEpoch.AddSeconds(seconds)
            : null;
}
