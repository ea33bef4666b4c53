namespace QcowKit.Fixtures;

/// <summary>The result of building a fixture: its files and what qemu must say about it.</summary>
public sealed class BuiltFixture
{
    internal BuiltFixture(QcowFixtureOptions options, IReadOnlyList<FixtureFile> files, ExpectedVerdict expected)
    {
        Options = options;
        Files = files;
        Expected = expected;
    }

    /// <summary>The options it was built from.</summary>
    public QcowFixtureOptions Options { get; }

    /// <summary>The image, then its backing file and data file when it has them.</summary>
    public IReadOnlyList<FixtureFile> Files { get; }

    /// <summary>Full path of the qcow2 image.</summary>
    public string ImagePath => Files[0].Path;

    /// <summary>
    /// The folder the files are in. qemu 7.2 resolves a relative data file name against the current directory: run tools
    /// from here for a fixture built with <see cref="QcowFixtureBuilder.Build(string)"/> (or pass the data file's path);
    /// <see cref="QcowFixtures.Get(FixtureDefinition)"/> names it by its full path, which opens from anywhere.
    /// </summary>
    public string Directory => System.IO.Path.GetDirectoryName(ImagePath)!;

    /// <summary>The expected verdict.</summary>
    public ExpectedVerdict Expected { get; }
}
