using System.Text.Json.Nodes;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Benchmarks;

/// <summary>
/// The benchmark suite's <c>compare --quick</c> mode: builds benchmarks/QcowKit.Benchmarks (Release, into a
/// temp folder), runs it on tiny images and checks that it produced the table, the JSON and the Markdown
/// with every row. Timings are not asserted: speed goals live in the benchmarks, not in tests.
/// </summary>
[TestFixture]
public class QuickBenchmarkTests
{
    private static readonly string[] RowIds =
    [
        "convert-raw-plain", "convert-raw-deflate", "convert-raw-zstd",
        "convert-qcow2-plain", "convert-qcow2-deflate", "convert-qcow2-zstd",
        "check-allocated", "check-sparse",
        "chain-convert", "chain-compare", "random-reads",
        "create-check",
        "info-64m", "check-64m", "info-chain20", "info-chain20-all",
    ];

    [Test]
    public void Quick_compare_runs_every_row_and_writes_table_json_and_markdown()
    {
        using var temp = new TempDirectory("bench");
        var project = Path.Combine(RepoPaths.Root, "benchmarks", "QcowKit.Benchmarks", "QcowKit.Benchmarks.csproj");
        var bin = temp.File("bin");
        var build = ProcessRunner.Run("dotnet", ["build", project, "-c", "Release", "-o", bin, "-nologo", "-v", "q"], timeout: TimeSpan.FromMinutes(10));
        Assert.That(build.ExitCode, Is.Zero, build.Describe());

        var results = temp.File("results");
        var run = ProcessRunner.Run("dotnet", [Path.Combine(bin, "QcowKit.Benchmarks.dll"), "compare", "--quick", "--work", temp.File("work"), "--out", results],
            timeout: TimeSpan.FromMinutes(5));

        Assert.That(run.ExitCode, Is.Zero, run.Describe());
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(results, "compare-quick.json")))!;
        var rows = json["rows"]!.AsArray().Select(r => r!).ToDictionary(r => (string)r["id"]!);
        var markdown = File.ReadAllText(Path.Combine(results, "compare-quick.md"));
        Assert.Multiple(() =>
        {
            Assert.That(rows.Keys, Is.EquivalentTo(RowIds));
            foreach (var id in RowIds)
            {
                Assert.That(run.StandardOutput, Does.Contain(id), $"console table lacks {id}");
                if (!rows.TryGetValue(id, out var row)) continue;
                var status = (string)row["status"]!;
                Assert.That(status, Is.EqualTo("measured").Or.EqualTo("not available"), id);
                Assert.That(markdown, Does.Contain((string)row["title"]!), $"markdown lacks {id}");
                if (status == "measured")
                {
                    Assert.That((double?)row["ratio"], Is.GreaterThan(0), id);
                    Assert.That(row["qemu"]!["seconds"]!.AsArray(), Has.Count.EqualTo(1), id);
                    Assert.That(row["qcowkit"]!["seconds"]!.AsArray(), Has.Count.EqualTo(1), id);
                }
                else
                {
                    Assert.That((string?)row["notAvailable"], Is.Not.Null.And.Not.Empty, $"{id} must say why it is not available");
                }
            }
        });
    }
}
