using System.Text.Json.Nodes;
using QcowKit.Fixtures.Manifest;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

public class DeterminismTests
{
    private static readonly string[] Sample =
        ["clean-deflate-half", "clean-zstd", "clean-extended-l2", "clean-snapshots", "clean-bitmaps", "clean-backing-qcow2", "clean-external-data", "corrupt-double-reference"];

    [Test]
    public void Building_twice_in_one_process_gives_identical_files()
    {
        using var first = new TempDirectory("fixture-a");
        using var second = new TempDirectory("fixture-b");
        foreach (var name in Sample)
        {
            var definition = QcowFixtures.Find(name).WithSeed(99);
            var a = definition.Build(first.Path);
            var b = definition.Build(second.Path);
            Assert.That(b.Files.Select(f => f.Sha256), Is.EqualTo(a.Files.Select(f => f.Sha256)), name);
            Assert.That(b.Expected, Is.EqualTo(a.Expected), name);
        }
    }

    [Test]
    public void A_second_process_running_qcowkit_fixture_builds_identical_files()
    {
        using var temp = new TempDirectory("fixture-cli");
        var cli = Path.Combine(AppContext.BaseDirectory, "QcowKit.Cli.dll");
        var arguments = new List<string> { cli, "fixture" };
        arguments.AddRange(Sample);
        arguments.AddRange(["--seed", "99", "-o", temp.Path]);
        var run = ProcessRunner.Run("dotnet", arguments);
        Assert.That(run.ExitCode, Is.Zero, run.Describe());

        var manifest = FixtureManifest.Read(temp.Path);
        Assert.That(manifest.Seed, Is.EqualTo(99));
        Assert.That(manifest.Fixtures.Select(f => f.Name), Is.EqualTo(Sample));
        using var local = new TempDirectory("fixture-local");
        foreach (var fixture in manifest.Fixtures)
        {
            var built = QcowFixtures.Find(fixture.Name).WithSeed(99).Build(local.Path);
            Assert.That(fixture.Files.Select(f => f.Sha256), Is.EqualTo(built.Files.Select(f => f.Sha256)), fixture.Name);
            Assert.That(fixture.Expected, Is.EqualTo(built.Expected), fixture.Name);
        }
    }

    [Test]
    public void Another_seed_changes_the_content_but_not_the_verdict_class()
    {
        using var temp = new TempDirectory("fixture-seed");
        var definition = QcowFixtures.Find("clean-v3");
        var a = definition.WithSeed(1).Build(Path.Combine(temp.Path));
        var aHash = a.Expected.GuestSha256;
        var b = definition.WithSeed(2).Build(temp.Path);
        Assert.That(b.Expected.GuestSha256, Is.Not.EqualTo(aHash));
        Assert.That(b.Expected with { GuestSha256 = null }, Is.EqualTo(a.Expected with { GuestSha256 = null }));
    }

    [Test]
    public void Qcowkit_fixture_list_names_every_catalogue_fixture()
    {
        var run = ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "QcowKit.Cli.dll"), "fixture", "--list"]);
        Assert.That(run.ExitCode, Is.Zero, run.Describe());
        var names = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]);
        Assert.That(names, Is.EqualTo(QcowFixtures.All.Select(d => d.Name)));
    }

    [Test]
    public void Qcowkit_fixture_with_an_unknown_name_fails_with_exit_code_1()
    {
        using var temp = new TempDirectory("fixture-unknown");
        var run = ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "QcowKit.Cli.dll"), "fixture", "no-such-fixture", "-o", temp.Path]);
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.StandardError, Does.Contain("no-such-fixture"));
    }
}
