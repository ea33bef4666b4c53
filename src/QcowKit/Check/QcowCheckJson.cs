using System.Text;
using System.Text.Json;

namespace QcowKit.Check;

/// <summary>
/// <c>qemu-img check --output=json</c>'s document for a <see cref="QcowCheckResult"/>: the same keys in
/// the same order, optional counts only when non-zero (as qemu), plus a <c>findings</c> array.
/// </summary>
public static class QcowCheckJson
{
    /// <summary>Serializes <paramref name="result"/> as indented JSON.</summary>
    public static string Serialize(QcowCheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 4 }))
        {
            w.WriteStartObject();
            Optional(w, "image-end-offset", result.ImageEndOffset);
            Optional(w, "compressed-clusters", result.CompressedClusters);
            Optional(w, "total-clusters", result.TotalClusters);
            Optional(w, "corruptions", result.Corruptions);
            Optional(w, "corruptions-fixed", result.CorruptionsFixed);
            w.WriteNumber("check-errors", result.CheckErrors);
            Optional(w, "leaks", result.Leaks);
            Optional(w, "leaks-fixed", result.LeaksFixed);
            Optional(w, "allocated-clusters", result.AllocatedClusters);
            w.WriteString("filename", result.Filename);
            w.WriteString("format", result.Format);
            Optional(w, "fragmented-clusters", result.FragmentedClusters);
            w.WriteStartArray("findings");
            foreach (var f in result.Findings)
            {
                w.WriteStartObject();
                w.WriteString("code", f.Code);
                w.WriteString("severity", f.Severity.ToString().ToLowerInvariant());
                w.WriteString("message", f.Message);
                w.WriteNumber("offset", f.Offset);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Optional(Utf8JsonWriter w, string key, long value)
    {
        if (value != 0) w.WriteNumber(key, value);
    }
}
