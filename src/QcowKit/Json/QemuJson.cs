using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace QcowKit.Json;

/// <summary>
/// Prints a JSON tree byte for byte as qemu-img does (qobject/json-writer.c, pretty mode): four-space
/// indent, <c>"key": value</c>, empty containers broken over two lines, non-ASCII as uppercase
/// <c>\uXXXX</c>, and object members in QDict iteration order. Scripts diff our output against
/// qemu-img's, so the order matters even though JSON does not care. The one JSON writer of QcowKit:
/// every surface's JSON goes through it, so every surface escapes (and does not escape) the same way.
/// </summary>
public static class QemuJson
{
    private const int QDictBuckets = 512;

    /// <summary>The JSON text, without a trailing newline (qemu-img adds it with printf).</summary>
    /// <param name="node">The tree.</param>
    /// <param name="order">How object members are ordered: qemu's QDict order, or as inserted (for documents whose order is fixed by hand).</param>
    public static string Serialize(JsonNode? node, QemuJsonMemberOrder order = QemuJsonMemberOrder.QDict)
    {
        var builder = new StringBuilder();
        Write(builder, node, 0, order);
        return builder.ToString();
    }

    /// <summary>
    /// The members of <paramref name="obj"/> in the order qemu's QDict iterates them: by hash bucket,
    /// and inside a bucket the most recently inserted first. Build objects in QAPI schema order so that
    /// colliding keys come out as qemu's do.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, JsonNode?>> QDictOrder(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.Select((member, index) => (member, index))
            .OrderBy(entry => QDictBucket(entry.member.Key))
            .ThenByDescending(entry => entry.index)
            .Select(entry => entry.member);
    }

    /// <summary>qemu's qdict hash (tdb_hash from qobject/qdict.c) modulo its 512 buckets.</summary>
    public static int QDictBucket(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var bytes = Encoding.UTF8.GetBytes(key);
        unchecked
        {
            var value = 0x238F13AFu * (uint)bytes.Length;
            for (var i = 0; i < bytes.Length; i++)
            {
                value += (uint)bytes[i] << (i * 5 % 24);
            }
            return (int)((1103515243u * value + 12345u) % QDictBuckets);
        }
    }

    private static void Write(StringBuilder builder, JsonNode? node, int depth, QemuJsonMemberOrder order)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject obj:
                builder.Append('{');
                var firstMember = true;
                foreach (var (key, value) in order == QemuJsonMemberOrder.QDict ? QDictOrder(obj) : obj)
                {
                    if (!firstMember) builder.Append(',');
                    firstMember = false;
                    NewLine(builder, depth + 1);
                    AppendString(builder, key);
                    builder.Append(": ");
                    Write(builder, value, depth + 1, order);
                }
                NewLine(builder, depth);
                builder.Append('}');
                break;
            case JsonArray array:
                builder.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) builder.Append(',');
                    NewLine(builder, depth + 1);
                    Write(builder, array[i], depth + 1, order);
                }
                NewLine(builder, depth);
                builder.Append(']');
                break;
            case JsonValue value:
                WriteValue(builder, value);
                break;
            default:
                throw new ArgumentException($"unsupported JSON node {node.GetType().Name}", nameof(node));
        }
    }

    private static void WriteValue(StringBuilder builder, JsonValue value)
    {
        if (value.TryGetValue<string>(out var text))
        {
            AppendString(builder, text);
        }
        else if (value.TryGetValue<bool>(out var flag))
        {
            builder.Append(flag ? "true" : "false");
        }
        else if (value.TryGetValue<long>(out var number))
        {
            builder.Append(number.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue<ulong>(out var unsigned))
        {
            builder.Append(unsigned.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue<int>(out var small))
        {
            builder.Append(small.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            builder.Append(value.ToJsonString());
        }
    }

    private static void NewLine(StringBuilder builder, int depth) => builder.Append('\n').Append(' ', depth * 4);

    /// <summary>quoted_str() of json-writer.c.</summary>
    public static void AppendString(StringBuilder builder, string text)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(text);
        builder.Append('"');
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            switch (cp)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (cp > 0xFFFF)
                    {
                        builder.Append(CultureInfo.InvariantCulture, $"\\u{0xD800 + ((cp - 0x10000) >> 10):X4}\\u{0xDC00 + ((cp - 0x10000) & 0x3FF):X4}");
                    }
                    else if (cp < 0x20 || cp >= 0x7F)
                    {
                        builder.Append(CultureInfo.InvariantCulture, $"\\u{cp:X4}");
                    }
                    else
                    {
                        builder.Append((char)cp);
                    }
                    break;
            }
        }
        builder.Append('"');
    }
}
