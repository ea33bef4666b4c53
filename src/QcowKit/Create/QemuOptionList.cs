using System.Text;

namespace QcowKit;

/// <summary>
/// qemu's <c>-o key=value,key=value</c> option lists, split the way QemuOpts splits them: <c>,,</c> is a
/// literal comma, a bare key means <c>on</c>, and an empty element (a stray or trailing comma) makes the
/// whole list invalid. The one parser every surface and every verb uses.
/// </summary>
public static class QemuOptionList
{
    /// <summary>Joins repeated <c>-o</c> lists as qemu-img does (accumulate_options: with a comma); null when there are none.</summary>
    public static string? Join(IEnumerable<string>? lists)
    {
        if (lists is null) return null;
        var joined = string.Join(',', lists);
        return lists.Any() ? joined : null;
    }

    /// <summary>Splits <paramref name="list"/> into key/value pairs in order (later keys override earlier ones when applied).</summary>
    /// <exception cref="QcowOptionsException">qemu's "Invalid option list: LIST" for an empty element.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var pairs = new List<KeyValuePair<string, string>>();
        var current = new StringBuilder();
        for (var i = 0; i <= list.Length; i++)
        {
            if (i < list.Length && list[i] != ',')
            {
                current.Append(list[i]);
                continue;
            }
            if (i + 1 < list.Length && list[i + 1] == ',')
            {
                current.Append(',');
                i++;
                continue;
            }
            if (current.Length == 0) throw new QcowOptionsException($"Invalid option list: {list}");
            var element = current.ToString();
            current.Clear();
            var equals = element.IndexOf('=', StringComparison.Ordinal);
            pairs.Add(equals < 0 ? new(element, "on") : new(element[..equals], element[(equals + 1)..]));
        }
        return pairs;
    }
}
