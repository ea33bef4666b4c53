using System.Text.Json.Nodes;
using QcowKit.Json;

namespace QcowKit.Check;

/// <summary>
/// <c>qemu-img check --output=json</c>'s document for a <see cref="QcowCheckResult"/>: the same keys in
/// the same order, optional counts only when non-zero (as qemu), plus a <c>findings</c> array; written
/// by <see cref="QemuJson"/>, so strings are escaped as qemu escapes them.
/// </summary>
public static class QcowCheckJson
{
    /// <summary>Serializes <paramref name="result"/> as qemu-img does (four-space indent, no trailing newline).</summary>
    public static string Serialize(QcowCheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Serialize(result, result.Findings);
    }

    /// <summary>
    /// Serializes <paramref name="result"/>'s counts with <paramref name="findings"/> in its findings array: the
    /// findings a surface shows (e.g. with a validation policy's verdicts) rather than the checker's own.
    /// </summary>
    public static string Serialize(QcowCheckResult result, IEnumerable<QcowFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(findings);
        // The members in the order qemu-img prints them (its QDict order), findings last.
        var document = new JsonObject();
        Optional(document, "image-end-offset", result.ImageEndOffset);
        Optional(document, "compressed-clusters", result.CompressedClusters);
        Optional(document, "total-clusters", result.TotalClusters);
        Optional(document, "corruptions", result.Corruptions);
        Optional(document, "corruptions-fixed", result.CorruptionsFixed);
        document["check-errors"] = result.CheckErrors;
        Optional(document, "leaks", result.Leaks);
        Optional(document, "leaks-fixed", result.LeaksFixed);
        Optional(document, "allocated-clusters", result.AllocatedClusters);
        document["filename"] = result.Filename;
        document["format"] = QemuNames.Name(result.Format);
        Optional(document, "fragmented-clusters", result.FragmentedClusters);
        var shown = new JsonArray();
        foreach (var finding in findings)
        {
            // Add(JsonNode), not the generic Add<T>(T): the generic overload wraps a non-node value through reflection
            // (IL2026/IL3050), which the NativeAOT tool cannot do.
            shown.Add((JsonNode)new JsonObject
            {
                ["code"] = finding.Code,
                ["severity"] = finding.Severity.ToString().ToLowerInvariant(),
                ["message"] = finding.Message,
                ["offset"] = finding.Offset,
            });
        }
        document["findings"] = shown;
        return QemuJson.Serialize(document, QemuJsonMemberOrder.AsInserted);
    }

    private static void Optional(JsonObject document, string key, long value)
    {
        if (value != 0) document[key] = value;
    }
}
