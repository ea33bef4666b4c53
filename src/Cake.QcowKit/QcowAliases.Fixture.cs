using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit.Fixtures;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// Builds test fixtures from QcowKit's catalogue into a folder: clean images with every feature
    /// bit, compression type, cluster size and refcount width, and one image per corruption kind,
    /// each with the verdict qemu-img check gives it, plus the manifest.json that <c>qcowkit fixture</c>
    /// writes. Files of the same name are replaced.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="directory">The folder to write to; created when missing.</param>
    /// <param name="settings">Which fixtures; null for the whole catalogue.</param>
    /// <returns>Each fixture built: its files (with SHA-256) and its expected verdict.</returns>
    /// <exception cref="CakeException">A name in <see cref="QcowFixtureSettings.Names"/> is not in the catalogue.</exception>
    /// <example>
    /// <code>
    /// var fixtures = QcowFixture("./fixtures", new QcowFixtureSettings().WithCleanOnly());
    /// foreach (var fixture in fixtures)
    /// {
    ///     QcowValidate(fixture.ImagePath);
    /// }
    /// var one = QcowFixture("./tmp", new QcowFixtureSettings().WithNames("clean-v3-64k")).Single();
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static IReadOnlyList<BuiltFixture> QcowFixture(this ICakeContext context, DirectoryPath directory, QcowFixtureSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(directory);
        settings ??= new QcowFixtureSettings();
        var folder = directory.MakeAbsolute(context.Environment).FullPath;

        var selected = (settings.IncludeClean ? QcowFixtures.Clean : [])
            .Concat(settings.IncludeCorrupted ? QcowFixtures.Corrupted : [])
            .Where(definition => settings.Names.Count == 0 || settings.Names.Contains(definition.Name))
            .ToList();
        var unknown = settings.Names.Except(selected.Select(definition => definition.Name)).ToList();
        if (unknown.Count > 0)
        {
            throw new CakeException($"QcowFixture: no fixture named {string.Join(", ", unknown)} among the selected ones of the catalogue.");
        }

        // The same images and manifest.json as `qcowkit fixture NAME... -o DIR`.
        var (_, built) = FixtureCorpus.Build(folder, selected, settings.Seed);
        foreach (var fixture in built)
        {
            context.Log.Verbose("QcowFixture {0}: {1} file(s), expected check exit code {2}", fixture.ImagePath, fixture.Files.Count, fixture.Expected.CheckExitCode);
        }
        context.Log.Information("QcowFixture {0}: {1} fixtures built", folder, built.Count);
        return built;
    }
}
