using Microsoft.Build.Framework;

namespace QcowKit.Tasks;

/// <summary>Per-item overrides: metadata on an item wins over the task parameter of the same name.</summary>
internal static class MetadataOptions
{
    /// <summary>The item's boolean metadata, <paramref name="fallback"/> when absent; null when it is not a boolean.</summary>
    public static bool? Boolean(ITaskItem item, string name, bool fallback)
    {
        var text = item.GetMetadata(name);
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return bool.TryParse(text.Trim(), out var value) ? value : null;
    }

    /// <summary>A semicolon- or comma-separated list from metadata, added to <paramref name="fallback"/>.</summary>
    public static HashSet<string> List(ITaskItem item, string name, IEnumerable<string> fallback)
    {
        var set = new HashSet<string>(fallback.Select(s => s.Trim()).Where(s => s.Length > 0), StringComparer.OrdinalIgnoreCase);
        foreach (var part in item.GetMetadata(name).Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            set.Add(part);
        }
        return set;
    }
}
