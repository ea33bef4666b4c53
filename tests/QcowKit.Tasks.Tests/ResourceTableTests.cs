using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using QcowKit.Tasks.Resources;

namespace QcowKit.Tasks.Tests;

public sealed partial class ResourceTableTests
{
    [GeneratedRegex(@"^(QCOW\d{4}): \S")]
    private static partial Regex CodePrefix();

    private static List<(string Name, string Value)> Entries()
    {
        var set = Strings.ResourceManager.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: true)
            ?? throw new InvalidOperationException("Strings.resources is not embedded");
        return [.. set.Cast<System.Collections.DictionaryEntry>().Select(e => ((string)e.Key, (string)e.Value!)).OrderBy(e => e.Item1, StringComparer.Ordinal)];
    }

    private static IEnumerable<string> Codes()
        => Entries().Select(e => CodePrefix().Match(e.Value)).Where(m => m.Success).Select(m => m.Groups[1].Value);

    [Test]
    public void Every_coded_message_has_a_code_used_only_once()
    {
        var codes = Codes().ToList();
        Assert.That(codes, Is.Not.Empty);
        Assert.That(codes, Is.Unique);
    }

    [Test]
    public void Task_codes_stay_out_of_the_validator_range()
    {
        Assert.That(Codes().Select(c => int.Parse(c.AsSpan(4), CultureInfo.InvariantCulture)), Is.All.GreaterThanOrEqualTo(1000));
    }

    [Test]
    public void Readme_msbuild_section_lists_every_code()
    {
        var readme = File.ReadAllText(Path.Combine(QcowKit.TestSupport.RepoPaths.Root, "README.md"));
        var start = readme.IndexOf("<!-- section: msbuild -->", StringComparison.Ordinal);
        var end = readme.IndexOf("<!-- section:", start + 1, StringComparison.Ordinal);
        var section = readme[start..end];
        Assert.That(Codes().Where(c => !section.Contains(c, StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void Every_message_formats_with_its_arguments()
    {
        foreach (var (name, value) in Entries())
        {
            var placeholders = Regex.Matches(value, @"\{(\d+)(?::[^}]*)?\}").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
            Assert.That(() => string.Format(CultureInfo.InvariantCulture, value, Enumerable.Range(0, placeholders).Select(i => (object)$"arg{i}").ToArray()),
                Throws.Nothing, name);
        }
    }
}
