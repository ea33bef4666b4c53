using System.Text.Json;

namespace QcowKit.Check;

public sealed partial class QcowValidationPolicy
{
    /// <summary>A policy file is a few lines; anything bigger is not one, and is not read into memory.</summary>
    private const int MaxPolicyFileBytes = 1 << 20;

    /// <summary>
    /// Reads a JSON policy file: one object whose keys are rule names (any case) and whose values are
    /// booleans, numbers, strings (sizes as qemu sizes) or, for list rules, arrays. Relative
    /// AllowedDirectories are taken relative to the file's folder.
    /// </summary>
    /// <example><code>{ "LeaksAsErrors": true, "MaxVirtualSize": "64G", "RequiredCompat": "1.1", "NoBackingFile": true, "AllowedFindings": ["QCOW0800"] }</code></example>
    /// <exception cref="QcowOptionsException"><c>FILE: why</c> for a file that is not a policy, an unknown rule or a bad value.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static QcowValidationPolicy Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var policy = new QcowValidationPolicy();
        policy.Apply(path);
        return policy;
    }

    /// <summary>Applies a JSON policy file on top of this policy (later sources override earlier ones; lists add up).</summary>
    /// <exception cref="QcowOptionsException"><c>FILE: why</c>.</exception>
    public void Apply(string policyFile)
    {
        ArgumentNullException.ThrowIfNull(policyFile);
        if (new FileInfo(policyFile) is { Exists: true, Length: > MaxPolicyFileBytes } big)
        {
            throw new QcowOptionsException($"{policyFile}: a policy file has at most {MaxPolicyFileBytes} bytes, this one {big.Length}");
        }
        var json = File.ReadAllText(policyFile);
        var folder = Path.GetDirectoryName(Path.GetFullPath(policyFile)) ?? ".";
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new QcowOptionsException("a policy is a JSON object of rule names and values");
            }
            foreach (var member in document.RootElement.EnumerateObject())
            {
                var values = member.Value.ValueKind == JsonValueKind.Array ? member.Value.EnumerateArray().ToList() : [member.Value];
                if (member.Value.ValueKind == JsonValueKind.Array && !ListRuleNames.Contains(member.Name, StringComparer.OrdinalIgnoreCase))
                {
                    throw new QcowOptionsException($"{member.Name}: takes one value, not a list");
                }
                foreach (var value in values)
                {
                    var text = value.ValueKind switch
                    {
                        JsonValueKind.String => value.GetString()!,
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        JsonValueKind.Number => value.GetRawText(),
                        _ => throw new QcowOptionsException($"{member.Name}: expected a boolean, number or string, not {value.ValueKind}"),
                    };
                    if (string.Equals(member.Name, nameof(AllowedDirectories), StringComparison.OrdinalIgnoreCase))
                    {
                        text = Path.GetFullPath(text, folder);
                    }
                    Set(member.Name, text);
                }
            }
        }
        catch (JsonException ex)
        {
            throw new QcowOptionsException($"{policyFile}: not a JSON policy: {ex.Message}", ex);
        }
        catch (QcowOptionsException ex)
        {
            throw new QcowOptionsException($"{policyFile}: {ex.Message}", ex);
        }
    }
}
