using QcowKit.EndToEnd.Tests.Cake;
using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.Pipeline;

/// <summary>`dotnet run build.cs`, the README's first command, on a fresh clone of the repository.</summary>
[TestFixture]
public sealed class BuildScriptTests
{
    [Test]
    public void Build_and_fixtures_targets_succeed_on_a_clean_clone_run_from_another_directory()
    {
        using var temp = new TempDirectory("pipeline");
        var clone = temp.File("clone");
        var elsewhere = Directory.CreateDirectory(temp.File("elsewhere")).FullName;
        var gitClone = ProcessRunner.Run("git", ["clone", "--quiet", "--no-hardlinks", RepoPaths.Root, clone], timeout: TimeSpan.FromMinutes(1));
        Assert.That(gitClone.ExitCode, Is.Zero, gitClone.Describe);

        // Run from a folder that is not the repository: the pipeline must find its root by itself.
        var run = DotNetCommand.Run(elsewhere, TimeSpan.FromMinutes(8), "run", Path.Combine(clone, "build.cs"), "--", "--target=Build", "--target=Fixtures");

        Assert.That(run.ExitCode, Is.Zero, run.Describe);
        Assert.That(run.StandardOutput, Does.Match(@"Build\s+\S+\s+Succeeded"), run.Describe);
        Assert.That(run.StandardOutput, Does.Match(@"Fixtures\s+\S+\s+Succeeded"), run.Describe);
        Assert.That(run.StandardOutput, Does.Contain("each validated to its expected verdict"), run.Describe);
        Assert.That(Directory.GetFiles(Path.Combine(clone, "fixtures"), "*.qcow2"), Has.Length.GreaterThanOrEqualTo(QcowKit.Fixtures.QcowFixtures.All.Count()),
            "the Fixtures target did not regenerate fixtures/");
        Assert.That(File.Exists(Path.Combine(clone, "src", "Cake.QcowKit", "bin", "Release", "net10.0", "Cake.QcowKit.dll")), Is.True,
            "the Build target did not compile the clone's projects");
    }

    [Test]
    public void Redirected_pipeline_output_has_no_escape_codes_even_with_a_colour_terminal_type()
    {
        // Cake's console picks colours from TERM and CI variables, not from where the output goes: build.cs's host
        // (PlainConsole) keeps them off a redirected log. An unknown target logs a line of each kind and fails fast.
        foreach (var noColor in new string?[] { null, "1" })
        {
            var run = DotNetCommand.Run(RepoPaths.Root, TimeSpan.FromMinutes(5), new Dictionary<string, string?>
            {
                ["TERM"] = "xterm-256color", ["COLORTERM"] = "truecolor", ["NO_COLOR"] = noColor, ["GITHUB_ACTIONS"] = "true",
            }, "run", Path.Combine(RepoPaths.Root, "build.cs"), "--", "--target=NoSuchTarget");

            Assert.That(run.ExitCode, Is.EqualTo(1), run.Describe);
            Assert.That(run.StandardOutput, Does.Contain("QcowKit pipeline: target NoSuchTarget"), run.Describe);
            Assert.That(run.StandardOutput + run.StandardError, Does.Contain("Pipeline failed: The target 'NoSuchTarget' was not found."), run.Describe);
            Assert.That(run.StandardOutput + run.StandardError, Does.Not.Contain('\u001b'), run.Describe);
        }
    }
}
