using System.Globalization;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QcowKit.Fixtures;

namespace QcowKit.Tasks;

/// <summary>
/// Writes fixtures from QcowKit's catalogue (clean images with chosen features, and one image per
/// corruption kind) into a folder, as <c>qcowkit fixture NAME... | --all [--seed N] -o DIR</c> does.
/// Each image comes out with the verdict qemu-img gives it, so tests can assert against it.
/// </summary>
/// <example>
/// <code>
/// &lt;QcowFixture Names="clean-v3;corrupt-refcount-zero" OutputDirectory="$(IntermediateOutputPath)fixtures"&gt;
///   &lt;Output TaskParameter="Files" ItemName="FileWrites" /&gt;
/// &lt;/QcowFixture&gt;
/// </code>
/// </example>
public sealed class QcowFixture : QcowTask
{
    /// <summary>Catalogue names to write (<c>qcowkit fixture --list</c> lists them).</summary>
    public string[] Names { get; set; } = [];

    /// <summary>Write the whole catalogue instead of <see cref="Names"/>.</summary>
    public bool All { get; set; }

    /// <summary>Content seed; empty keeps each fixture's catalogue seed.</summary>
    public string? Seed { get; set; }

    /// <summary>The folder the fixtures are written to (created when missing).</summary>
    [Required]
    public ITaskItem OutputDirectory { get; set; } = null!;

    /// <summary>
    /// One item per fixture image with its expected verdict as metadata: <c>Fixture</c>, <c>Description</c>,
    /// <c>CheckExitCode</c>, <c>Corruptions</c>, <c>Leaks</c>, <c>CheckErrors</c>, <c>CanOpen</c>, <c>GuestSha256</c>.
    /// </summary>
    [Output]
    public ITaskItem[] Images { get; private set; } = [];

    /// <summary>Every file written (images, backing files, data files), for <c>FileWrites</c>.</summary>
    [Output]
    public ITaskItem[] Files { get; private set; } = [];

    /// <inheritdoc />
    protected override void Run()
    {
        var folder = OutputDirectory.GetMetadata("FullPath");
        var names = Names.Select(n => n.Trim()).Where(n => n.Length > 0).ToList();
        if (All == (names.Count > 0))
        {
            LogErrorFor(folder, "FixtureChoice", names.Count);
            return;
        }
        int? seed = null;
        if (!string.IsNullOrWhiteSpace(Seed))
        {
            if (int.TryParse(Seed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) seed = value;
            else
            {
                LogErrorFor(folder, "InvalidParameter", nameof(Seed), Seed, Log.FormatResourceString("IntegerExpected"));
                return;
            }
        }

        var definitions = new List<FixtureDefinition>();
        if (All)
        {
            definitions.AddRange(QcowFixtures.All);
        }
        foreach (var name in names)
        {
            var definition = QcowFixtures.All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));
            if (definition is null) LogErrorFor(folder, "UnknownFixture", name);
            else definitions.Add(definition);
        }
        if (Log.HasLoggedErrors) return;

        var images = new List<ITaskItem>();
        var files = new List<ITaskItem>();
        foreach (var definition in definitions)
        {
            CancellationToken.ThrowIfCancellationRequested();
            BuiltFixture built;
            try
            {
                Directory.CreateDirectory(folder);
                built = (seed is { } s ? definition.WithSeed(s) : definition).Build(folder);
            }
            catch (Exception exception) when (ImageFile.IsImageProblem(exception))
            {
                LogErrorFor(Path.Combine(folder, definition.FileName), "FixtureFailed", definition.Name, exception.Message);
                continue;
            }
            var image = new TaskItem(built.ImagePath);
            image.SetMetadata("Fixture", definition.Name);
            image.SetMetadata("Description", definition.Description);
            image.SetMetadata("CheckExitCode", built.Expected.CheckExitCode.ToString(CultureInfo.InvariantCulture));
            image.SetMetadata("Corruptions", built.Expected.Corruptions.ToString(CultureInfo.InvariantCulture));
            image.SetMetadata("Leaks", built.Expected.Leaks.ToString(CultureInfo.InvariantCulture));
            image.SetMetadata("CheckErrors", built.Expected.CheckErrors.ToString(CultureInfo.InvariantCulture));
            image.SetMetadata("CanOpen", built.Expected.CanOpen ? "true" : "false");
            image.SetMetadata("GuestSha256", built.Expected.GuestSha256 ?? "");
            images.Add(image);
            files.AddRange(built.Files.Select(f => (ITaskItem)new TaskItem(f.Path)));
            Log.LogMessageFromResources(MessageImportance.Normal, "FixtureWritten", built.ImagePath, definition.Name, built.Expected.CheckExitCode);
        }
        Images = [.. images];
        Files = [.. files];
    }
}
