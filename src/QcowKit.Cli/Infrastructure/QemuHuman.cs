using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using QcowKit.Json;

namespace QcowKit.Cli.Infrastructure;

/// <summary>qemu-img's human-readable formatting: sizes, snapshot rows, and the format-specific block.</summary>
internal static class QemuHuman
{
    private static readonly string[] Suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    /// <summary>
    /// size_to_str() of util/cutils.c: three significant digits, switching to the next binary unit
    /// once the number would reach 1000 (so "1000 KiB" never appears).
    /// </summary>
    public static string Size(ulong value)
    {
        var scaled = value / (1000.0 / 1024.0);
        var exponent = scaled == 0 ? 0 : Math.ILogB(scaled) + 1;
        var unit = (exponent - 1) / 10;
        var divisor = (double)(1UL << (unit * 10));
        return $"{FormatG3(value / divisor)} {Suffixes[unit]}B";
    }

    /// <summary>A JSON number of any integral CLR type as a long.</summary>
    public static long Number(JsonNode? node) => node switch
    {
        JsonValue value when value.TryGetValue<long>(out var number) => number,
        JsonValue value when value.TryGetValue<int>(out var small) => small,
        JsonValue value when value.TryGetValue<uint>(out var unsignedSmall) => unsignedSmall,
        JsonValue value when value.TryGetValue<ulong>(out var unsigned) => (long)unsigned,
        _ => throw new InvalidOperationException($"expected a JSON number, got {node?.ToJsonString() ?? "null"}"),
    };

    /// <summary>printf's "%0.3g".</summary>
    public static string FormatG3(double value) =>
        value.ToString("G3", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    /// <summary>bdrv_snapshot_dump(NULL): the snapshot table's header.</summary>
    public static string SnapshotHeader() =>
        string.Create(CultureInfo.InvariantCulture, $"{"ID",-10}{"TAG",-17}{"VM SIZE",8}{"DATE",20}{"VM CLOCK",13}{"ICOUNT",11}");

    /// <summary>bdrv_snapshot_dump(sn): one snapshot row; the date in local time, as qemu prints it.</summary>
    public static string SnapshotRow(string id, string name, ulong vmStateSize, long dateSeconds, ulong vmClockNanoseconds, ulong? icount)
    {
        var date = DateTimeOffset.FromUnixTimeSeconds(dateSeconds).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var seconds = vmClockNanoseconds / 1_000_000_000;
        var clock = string.Create(CultureInfo.InvariantCulture,
            $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}.{vmClockNanoseconds / 1_000_000 % 1000:000}");
        var count = icount?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{id,-9} {name,-16} {Size(vmStateSize),8}{date,20}{clock,13}{count,11}");
    }

    /// <summary>
    /// dump_qobject() of block/qapi.c for the "data" member of format-specific information: keys in
    /// QDict order with dashes shown as spaces, nested objects and lists indented by four.
    /// </summary>
    public static void AppendFormatSpecific(StringBuilder builder, JsonNode? data) => AppendNode(builder, 1, data);

    private static void AppendNode(StringBuilder builder, int indentation, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in QemuJson.QDictOrder(obj))
                {
                    var composite = value is JsonObject or JsonArray;
                    builder.Append(' ', indentation * 4).Append(key.Replace('-', ' ')).Append(':').Append(composite ? '\n' : ' ');
                    AppendNode(builder, indentation + 1, value);
                    if (!composite) builder.Append('\n');
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var composite = array[i] is JsonObject or JsonArray;
                    builder.Append(' ', indentation * 4).Append(CultureInfo.InvariantCulture, $"[{i}]:").Append(composite ? '\n' : ' ');
                    AppendNode(builder, indentation + 1, array[i]);
                    if (!composite) builder.Append('\n');
                }
                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                builder.Append(text);
                break;
            case JsonValue value when value.TryGetValue<bool>(out var flag):
                builder.Append(flag ? "true" : "false");
                break;
            case JsonValue value:
                builder.Append(value.ToJsonString());
                break;
            default:
                builder.Append("null");
                break;
        }
    }
}
