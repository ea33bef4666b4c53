namespace QcowKit.Seed.Fat;

/// <summary>
/// A directory entry's date and time fields: date = (year-1980)&lt;&lt;9 | month&lt;&lt;5 | day,
/// time = hour&lt;&lt;11 | minute&lt;&lt;5 | second/2, plus the creation time's tenths (0..199) for the odd second.
/// </summary>
internal readonly record struct FatTimestamp(ushort Date, ushort Time, byte Tenths)
{
    private static readonly DateTime Earliest = new(1980, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
    private static readonly DateTime Latest = new(2107, 12, 31, 23, 59, 59, DateTimeKind.Unspecified);

    /// <summary>1980-01-01 00:00:00, the FAT epoch: the fixed time of reproducible images.</summary>
    public static DateTime Epoch => Earliest;

    /// <summary>Encodes a time as given (no time zone conversion), clamped to the range FAT can hold.</summary>
    public static FatTimestamp From(DateTime value)
    {
        var clamped = value < Earliest ? Earliest : value > Latest ? Latest : value;
        var date = (ushort)(((clamped.Year - 1980) << 9) | (clamped.Month << 5) | clamped.Day);
        var time = (ushort)((clamped.Hour << 11) | (clamped.Minute << 5) | (clamped.Second / 2));
        var tenths = (byte)((clamped.Second % 2 * 100) + (clamped.Millisecond / 10));
        return new FatTimestamp(date, time, tenths);
    }
}
