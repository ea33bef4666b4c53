using System.Reflection;
using System.Text.RegularExpressions;
using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>docs/finding-codes.md documents exactly the codes QcowFindingCodes defines (MSBuild and Cake report these codes).</summary>
public sealed class FindingCodeDocsTests
{
    [Test]
    public void Finding_code_table_lists_every_code_once_and_no_other()
    {
        var defined = typeof(QcowFindingCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal)
            .ToList();
        var table = File.ReadAllLines(Path.Combine(RepoPaths.Root, "docs", "finding-codes.md"))
            .Select(line => Regex.Match(line, @"^\| (QCOW\d{4}) \|"))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToList();

        Assert.That(table, Is.Unique, "each code has one row");
        Assert.That(table.Order(StringComparer.Ordinal), Is.EqualTo(defined));
    }
}
