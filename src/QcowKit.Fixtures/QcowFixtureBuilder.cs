using System.Security.Cryptography;
using QcowKit.Fixtures.Content;
using QcowKit.Fixtures.Corruptions;
using QcowKit.Fixtures.Layout;
using QcowKit.Format;

namespace QcowKit.Fixtures;

/// <summary>
/// Fluent builder of one fixture. Every <c>With...</c> returns a new builder (the builder is immutable),
/// so a configured builder can be shared and varied. <see cref="Build(string)"/> writes the files.
/// </summary>
public sealed class QcowFixtureBuilder
{
    private const ulong KnownIncompatible = (ulong)(IncompatibleFeatures.Dirty | IncompatibleFeatures.Corrupt | IncompatibleFeatures.ExternalDataFile
        | IncompatibleFeatures.CompressionType | IncompatibleFeatures.ExtendedL2);

    internal QcowFixtureBuilder(QcowFixtureOptions options) => Options = options;

    /// <summary>The options so far.</summary>
    public QcowFixtureOptions Options { get; }

    /// <summary>Cluster size in bytes (512 B to 2 MiB).</summary>
    public QcowFixtureBuilder WithClusterSize(int bytes) => new(Options with { ClusterSize = bytes });

    /// <summary>qcow2 version 2 (compat 0.10) or 3 (compat 1.1).</summary>
    public QcowFixtureBuilder WithVersion(int version) => new(Options with { Version = version });

    /// <summary>Refcount width in bits.</summary>
    public QcowFixtureBuilder WithRefcountBits(int bits) => new(Options with { RefcountBits = bits });

    /// <summary>Extended L2 entries (32 subclusters per cluster).</summary>
    public QcowFixtureBuilder WithExtendedL2(bool on = true) => new(Options with { ExtendedL2 = on });

    /// <summary>The lazy refcounts compatible bit.</summary>
    public QcowFixtureBuilder WithLazyRefcounts(bool on = true) => new(Options with { LazyRefcounts = on });

    /// <summary>The dirty incompatible bit.</summary>
    public QcowFixtureBuilder WithDirtyBit(bool on = true) => new(Options with { Dirty = on });

    /// <summary>The corrupt incompatible bit.</summary>
    public QcowFixtureBuilder WithCorruptBit(bool on = true) => new(Options with { CorruptBit = on });

    /// <summary>
    /// Sets feature bits by their header fields. Known bits switch the matching option on (external data
    /// file, zstd for the compression type bit, a bitmap for the bitmaps bit, a raw data file for the raw
    /// external data bit); unknown bits are written as they are, for negative tests.
    /// </summary>
    public QcowFixtureBuilder WithFeatures(IncompatibleFeatures incompatible, CompatibleFeatures compatible = CompatibleFeatures.None,
        AutoclearFeatures autoclear = AutoclearFeatures.None)
    {
        var o = Options with
        {
            Dirty = Options.Dirty || incompatible.HasFlag(IncompatibleFeatures.Dirty),
            CorruptBit = Options.CorruptBit || incompatible.HasFlag(IncompatibleFeatures.Corrupt),
            ExtendedL2 = Options.ExtendedL2 || incompatible.HasFlag(IncompatibleFeatures.ExtendedL2),
            CompressionType = incompatible.HasFlag(IncompatibleFeatures.CompressionType) ? CompressionType.Zstd : Options.CompressionType,
            LazyRefcounts = Options.LazyRefcounts || compatible.HasFlag(CompatibleFeatures.LazyRefcounts),
            Bitmaps = autoclear.HasFlag(AutoclearFeatures.Bitmaps) ? Math.Max(1, Options.Bitmaps) : Options.Bitmaps,
            ExtraIncompatibleBits = Options.ExtraIncompatibleBits | ((ulong)incompatible & ~KnownIncompatible),
            ExtraCompatibleBits = Options.ExtraCompatibleBits | ((ulong)compatible & ~(ulong)CompatibleFeatures.LazyRefcounts),
            ExtraAutoclearBits = Options.ExtraAutoclearBits | ((ulong)autoclear & ~(ulong)(AutoclearFeatures.Bitmaps | AutoclearFeatures.RawExternalData)),
        };
        if (autoclear.HasFlag(AutoclearFeatures.RawExternalData))
        {
            o = o with { DataFile = FixtureDataFile.ExternalRaw };
        }
        else if (incompatible.HasFlag(IncompatibleFeatures.ExternalDataFile) && o.DataFile == FixtureDataFile.Internal)
        {
            o = o with { DataFile = FixtureDataFile.External };
        }
        return new(o);
    }

    /// <summary>Raw bits OR-ed into the three feature fields, unknown ones included (for negative tests).</summary>
    public QcowFixtureBuilder WithRawFeatureBits(ulong incompatible = 0, ulong compatible = 0, ulong autoclear = 0) =>
        new(Options with
        {
            ExtraIncompatibleBits = Options.ExtraIncompatibleBits | incompatible,
            ExtraCompatibleBits = Options.ExtraCompatibleBits | compatible,
            ExtraAutoclearBits = Options.ExtraAutoclearBits | autoclear,
        });

    /// <summary>Compression type and the fraction (0..1) of eligible data clusters written compressed.</summary>
    public QcowFixtureBuilder WithCompression(CompressionType type, double fraction = 1.0) =>
        new(Options with { CompressionType = type, CompressedFraction = fraction });

    /// <summary>Seed of the content generator.</summary>
    public QcowFixtureBuilder WithSeed(int seed) => new(Options with { Seed = seed });

    /// <summary>Explicit content.</summary>
    public QcowFixtureBuilder WithContent(FixtureContent content) => new(Options with { Content = content });

    /// <summary>Explicit content, built in place.</summary>
    public QcowFixtureBuilder WithContent(Action<FixtureContent> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var content = new FixtureContent();
        build(content);
        return WithContent(content);
    }

    /// <summary>A backing image (built from the next seed with the default content mix).</summary>
    public QcowFixtureBuilder WithBacking(FixtureBacking backing = FixtureBacking.Qcow2) => new(Options with { Backing = backing });

    /// <summary>An external data file; <paramref name="raw"/> also sets the raw external data bit.</summary>
    public QcowFixtureBuilder WithExternalData(bool raw = false) =>
        new(Options with { DataFile = raw ? FixtureDataFile.ExternalRaw : FixtureDataFile.External });

    /// <summary>Internal snapshots of the content.</summary>
    public QcowFixtureBuilder WithSnapshots(int count) => new(Options with { Snapshots = count });

    /// <summary>Persistent dirty bitmaps.</summary>
    public QcowFixtureBuilder WithBitmaps(int count) => new(Options with { Bitmaps = count });

    /// <summary>A corruption from the catalogue, applied after the image is built (one per fixture).</summary>
    public QcowFixtureBuilder Corrupt(Corruption corruption) => new(Options with { Corruptions = [corruption] });

    /// <summary>
    /// Builds the fixture at <paramref name="path"/> (the folder must exist). A backing file goes next to
    /// it as <c>NAME.backing.qcow2</c> or <c>NAME.backing.raw</c>, a data file as <c>NAME.data</c>; the
    /// header names them relative to the image's folder.
    /// </summary>
    /// <exception cref="ArgumentException">The options are not a valid combination, or a corruption does not apply to them.</exception>
    public BuiltFixture Build(string path) => Build(path, static (_, verdict) => verdict);

    /// <summary>
    /// <see cref="Build(string)"/> with the judged verdict passed through <paramref name="verdictRule"/> before it is
    /// returned. The public build passes it unchanged; the tests pass a deliberately broken rule to show that the
    /// property test's comparison with qemu-img catches a wrong verdict. A parameter rather than a settable hook, so
    /// no build ever sees another's rule.
    /// </summary>
    internal BuiltFixture Build(string path, Func<QcowFixtureOptions, ExpectedVerdict, ExpectedVerdict> verdictRule) =>
        Build(path, absoluteDataFileName: false, verdictRule);

    /// <summary>
    /// <see cref="Build(string)"/>, with the header naming the external data file by its full path when
    /// <paramref name="absoluteDataFileName"/> is set: qemu 7.2 (and the engine, like it) resolves a relative data file
    /// name against the current directory, so only a full path opens from any working directory. A relative name keeps
    /// the files byte-identical wherever they are built (the committed corpus), a full path ties them to their folder
    /// (<see cref="QcowFixtures.Get(FixtureDefinition)"/>'s per-process folder).
    /// </summary>
    internal BuiltFixture Build(string path, bool absoluteDataFileName, Func<QcowFixtureOptions, ExpectedVerdict, ExpectedVerdict> verdictRule)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(verdictRule);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var result = Compose(Options, Path.GetFileName(path), absoluteDataFileName ? folder : null);
        var files = new List<FixtureFile> { Write(Path.GetFullPath(path), FixtureFileRole.Image, result.Image) };
        if (result.Backing is { } backing)
        {
            files.Add(Write(Path.Combine(folder, result.Names.BackingFile!), FixtureFileRole.Backing, backing));
        }
        if (result.DataFile is { } data)
        {
            files.Add(Write(Path.Combine(folder, result.Names.DataFile!), FixtureFileRole.DataFile, data));
        }
        var dataFile = files.FirstOrDefault(f => f.Role == FixtureFileRole.DataFile)?.Path;
        return new BuiltFixture(Options, files, verdictRule(Options, EngineVerdict.Judge(files[0].Path, dataFile, result.Expected)));
    }

    private static FixtureFile Write(string path, FixtureFileRole role, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return new FixtureFile(path, role, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    internal sealed record Composition(byte[] Image, byte[]? Backing, byte[]? DataFile, CompanionNames Names, ExpectedVerdict Expected);

    /// <param name="o">The options.</param>
    /// <param name="imageName">The image's file name; the companion files are named after it.</param>
    /// <param name="dataFileFolder">When set, the header names the data file by its full path in this folder; else by its file name.</param>
    internal static Composition Compose(QcowFixtureOptions o, string imageName, string? dataFileFolder = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        if (o.Corruptions.Count > 1)
        {
            throw new ArgumentException("one corruption per fixture: the expected verdict of a combination is not known");
        }
        var corruption = o.Corruptions.Count == 1 ? CorruptionCatalogue.Get(o.Corruptions[0]) : null;
        if (corruption?.Requires(o) is { } missing)
        {
            throw ImageEditor.NotApplicable(corruption.Kind.ToString(), missing);
        }

        byte[]? backingBytes = null;
        var backingGuest = Array.Empty<byte>();
        string? backingName = null;
        string? backingFormat = null;
        if (o.Backing != FixtureBacking.None)
        {
            var backingOptions = new QcowFixtureOptions
            {
                VirtualSize = o.VirtualSize,
                ClusterSize = o.ClusterSize,
                Seed = unchecked(o.Seed + 1),
            };
            var content = FixtureContent.DefaultMix(o.VirtualSize, o.ClusterSize);
            var plan = GuestPlan.Create(backingOptions, content, hasBacking: false);
            backingGuest = plan.GuestBytes([]);
            if (o.Backing == FixtureBacking.Qcow2)
            {
                backingName = imageName + ".backing.qcow2";
                backingFormat = "qcow2";
                backingBytes = WriterBase.Build(backingOptions, plan, new CompanionNames(null, null, null), null).Image;
            }
            else
            {
                backingName = imageName + ".backing.raw";
                backingFormat = "raw";
                backingBytes = backingGuest;
            }
        }
        var dataFileName = imageName + ".data";
        var names = new CompanionNames(backingName, backingFormat,
            o.DataFile == FixtureDataFile.Internal ? null : dataFileFolder is null ? dataFileName : Path.Combine(dataFileFolder, dataFileName));
        var guestPlan = GuestPlan.Create(o, o.Content ?? FixtureContent.DefaultMix(o.VirtualSize, o.ClusterSize), hasBacking: backingBytes is not null);
        ComposedImage composed;
        try
        {
            composed = WriterBase.Supports(o)
                ? WriterBase.Build(o, guestPlan, names, backingBytes)
                : WriterBase.AddSnapshots(o, ImageComposer.Compose(WriterBase.ComposerOptions(o), guestPlan, names));
        }
        catch (QcowException ex)
        {
            // The engine refuses what qcow2 cannot hold (e.g. a refcount past the width's maximum); nothing is written yet.
            throw new ArgumentException($"qcow2 cannot express this combination (ClusterSize {o.ClusterSize}, RefcountBits {o.RefcountBits}, "
                + $"Snapshots {o.Snapshots}, Bitmaps {o.Bitmaps}, CompressedFraction {o.CompressedFraction}): {ex.Message}", ex);
        }
        var guest = new GuestBytes(guestPlan.GuestBytes(backingGuest), backingGuest);
        var image = composed.Image;
        var outcome = CleanOutcome(o);
        if (corruption is not null)
        {
            var editor = new ImageEditor(image, guest);
            corruption.Apply(editor);
            image = editor.Image;
            outcome = corruption.Outcome;
        }
        if (!outcome.CanOpen)
        {
            guest.MarkUnreadable();
        }
        var expected = new ExpectedVerdict
        {
            CheckExitCode = outcome.ExitCode,
            Corruptions = outcome.Corruptions,
            Leaks = outcome.Leaks,
            CheckErrors = outcome.CheckErrors,
            CanOpen = outcome.CanOpen,
            GuestReadable = guest.Readable,
            GuestSha256 = guest.Readable ? Convert.ToHexStringLower(SHA256.HashData(guest.Bytes)) : null,
        };
        return new Composition(image, backingBytes, composed.DataFile, names, expected);
    }

    /// <summary>The verdict of an image without a corruption edit: clean, unless raw feature bits make qemu refuse it.</summary>
    private static CheckOutcome CleanOutcome(QcowFixtureOptions o) =>
        (o.ExtraIncompatibleBits & ~KnownIncompatible) != 0 ? CheckOutcome.Unopenable : CheckOutcome.Clean;
}
