using Cake.Core;
using Cake.Core.Diagnostics;
using Cake.QcowKit;
using QcowKit.Check;
using QcowKit.Fixtures;

namespace QcowKit.Build.Tasks;

/// <summary>
/// Regenerates fixtures/ from the catalogue through Cake.QcowKit's own aliases, then validates every
/// image with QcowValidate and holds the verdict against the one each fixture expects (measured with
/// qemu-img check): same exit code, same corruption, leak and check-error counts.
/// </summary>
[TaskName("Fixtures")]
[IsDependentOn(typeof(RestoreTask))]
[TaskDescription("Regenerates fixtures/ with QcowFixture and checks each with QcowValidate against its expected verdict.")]
public sealed class FixturesTask : PipelineTask
{
    /// <inheritdoc />
    public override void Run(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fixtures = context.QcowFixture(context.FixturesDirectory);
        var mismatches = new List<string>();
        // qemu 7.2 resolves a relative external data file name against the current directory, and the
        // expected verdicts were measured from the fixtures' folder: validate from there too.
        var previous = context.Environment.WorkingDirectory;
        context.Environment.WorkingDirectory = context.FixturesDirectory;
        try
        {
            Validate(context, fixtures, mismatches);
        }
        finally
        {
            context.Environment.WorkingDirectory = previous;
        }
        if (mismatches.Count > 0)
        {
            throw new CakeException($"{mismatches.Count} of {fixtures.Count} fixtures do not get their expected verdict:\n  " + string.Join("\n  ", mismatches));
        }
        context.Log.Information("Fixtures: {0} regenerated in {1}, each validated to its expected verdict ({2} accepted, {3} rejected as expected)",
            fixtures.Count, context.FixturesDirectory.FullPath,
            context.FixturesValidated.Count(f => f.Accepted), context.FixturesValidated.Count(f => !f.Accepted));
    }

    private static void Validate(BuildContext context, IReadOnlyList<BuiltFixture> fixtures, List<string> mismatches)
    {
        foreach (var fixture in fixtures)
        {
            var expected = fixture.Expected;
            var settings = new QcowValidateSettings().WithLeaksAsErrors().WithAllowDirty(fixture.Options.Dirty);
            QcowCheckResult result;
            bool accepted;
            try
            {
                result = context.QcowValidate(fixture.ImagePath, settings);
                accepted = true;
            }
            catch (CakeException ex) when (ex.InnerException is QcowValidationException invalid)
            {
                result = invalid.Result;
                accepted = false;
            }
            var report = result.Completed ? (result.Corruptions, result.Leaks, result.CheckErrors) : (0, 0, 0);
            if (result.QemuExitCode != expected.CheckExitCode || report != (expected.Corruptions, expected.Leaks, expected.CheckErrors))
            {
                mismatches.Add($"{fixture.ImagePath}: expected exit {expected.CheckExitCode} ({expected.Corruptions} corruptions, {expected.Leaks} leaks, " +
                    $"{expected.CheckErrors} check errors), QcowValidate gave exit {result.QemuExitCode} ({result.Corruptions}, {result.Leaks}, {result.CheckErrors})");
                continue;
            }
            context.FixturesValidated.Add((fixture.ImagePath, accepted));
        }
    }
}
