namespace QcowKit.Fixtures;

/// <summary>Entry point of the fluent fixture builder: <c>QcowFixture.Create(1024 * 1024).WithClusterSize(4096).Build(path)</c>.</summary>
public static class QcowFixture
{
    /// <summary>Starts a fixture of <paramref name="virtualSize"/> bytes with the defaults of <see cref="QcowFixtureOptions"/>.</summary>
    public static QcowFixtureBuilder Create(long virtualSize) => new(new QcowFixtureOptions { VirtualSize = virtualSize });

    /// <summary>Starts from existing options (e.g. a catalogue entry's).</summary>
    public static QcowFixtureBuilder From(QcowFixtureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new QcowFixtureBuilder(options);
    }
}
