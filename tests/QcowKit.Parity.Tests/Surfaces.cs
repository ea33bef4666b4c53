using System.Text.RegularExpressions;
using Cake.Core;
using Cake.QcowKit;
using Cake.QcowKit.Tests;
using Microsoft.Build.Utilities;
using QcowKit.Check;
using QcowKit.Cli;
using QcowKit.Image;
using QcowKit.Seed;
using QcowKit.Tasks;
using QcowKit.Tasks.Tests;
using QcowKit.TestSupport;

namespace QcowKit.Parity.Tests;

/// <summary>A validation as one surface reported it: refused (with its text), or passed/failed with the blocking codes.</summary>
internal sealed record Verdict(string? Refusal, bool Passed, string[] BlockingCodes, string Output)
{
    public override string ToString() => Refusal is not null ? $"refused: {Refusal}" : $"{(Passed ? "passed" : "failed")} [{string.Join(' ', BlockingCodes)}]";
}

/// <summary>An image-writing request as one surface handled it: refused (with its text) or done.</summary>
internal sealed record Outcome(string? Refusal)
{
    public override string ToString() => Refusal is null ? "done" : $"refused: {Refusal}";
}

/// <summary>A measurement as one surface reported it: refused (with its text) or qemu's two figures.</summary>
internal sealed record Measured(string? Refusal, long Required, long FullyAllocated)
{
    public override string ToString() => Refusal is null ? $"required {Required}, fully allocated {FullyAllocated}" : $"refused: {Refusal}";
}

/// <summary>
/// One surface of QcowKit: the library itself, the qcowkit CLI (in process), the Cake aliases on a real
/// Cake context, and the MSBuild tasks on a recording build engine. Each maps the same inputs onto its
/// own parameters and reports what it did, so a test can demand that all four agree.
/// </summary>
internal abstract class Surface(string name)
{
    public static IEnumerable<Surface> All(string folder) => [new LibrarySurface(), new CliSurface(folder), new CakeSurface(folder), new MsBuildSurface()];

    public string Name { get; } = name;

    public abstract Verdict Validate(string image, (string Rule, string Value)[] rules);

    public abstract Outcome Create(string image, string optionList, string size);

    public abstract Outcome SeedGenerated(string image, string size);

    public abstract Outcome SeedDirectory(string image, string folder);

    /// <summary>qemu-img measure -O qcow2 -o OPTIONS of <paramref name="image"/>, or of <paramref name="size"/> when the image is null.</summary>
    public abstract Measured Measure(string? image, string? size, string? optionList);

    /// <summary>Converts <paramref name="source"/> to <paramref name="destination"/> with the output format named as given (qemu's <c>-O</c>).</summary>
    public abstract Outcome Convert(string source, string destination, string outputFormat);

    /// <summary>Creates a 1M qcow2 image with one qemu create option set through the surface's own parameter for it, where it has one.</summary>
    public abstract Outcome CreateWith(string image, string qemuName, string value);

    /// <summary>Seeds <paramref name="folder"/> as FAT with the file system and partition table named as given.</summary>
    public abstract Outcome SeedDirectoryAs(string image, string folder, string fileSystem, string partitionTable);

    /// <summary>Seeds with no content (<paramref name="twoKinds"/> false) or with a folder and generated data at once.</summary>
    public abstract Outcome SeedContentChoice(string image, string folder, bool twoKinds);

    /// <summary>qemu-img dd bs=BLOCK count=2 if=INPUT of=OUTPUT (raw output) with the block size as given.</summary>
    public abstract Outcome Dd(string input, string output, string blockSize);

    /// <summary>qemu-img bitmap --add -g GRANULARITY IMAGE b0 with the granularity as given.</summary>
    public abstract Outcome AddBitmap(string image, string granularity);

    /// <summary>qemu-img resize [--shrink] IMAGE SIZE with the size as given.</summary>
    public abstract Outcome Resize(string image, string size, bool shrink);

    public override string ToString() => Name;

    protected static string[] Codes(IEnumerable<string> codes) => [.. codes.Distinct().Order(StringComparer.Ordinal)];
}

internal sealed class LibrarySurface() : Surface("library")
{
    public override Verdict Validate(string image, (string Rule, string Value)[] rules)
    {
        var policy = new QcowValidationPolicy();
        try
        {
            foreach (var (rule, value) in rules) policy.Set(rule, value);
        }
        catch (QcowOptionsException ex)
        {
            return new Verdict(ex.Message, false, [], ex.Message);
        }
        var result = QcowValidator.Validate(image, policy);
        return new Verdict(null, result.Passed, Codes(result.Blocking.Select(f => f.Code)), string.Join('\n', result.Findings));
    }

    public override Outcome Create(string image, string optionList, string size)
    {
        try
        {
            QcowImage.Create(image, QcowCreateOptions.Parse(optionList, size)).Dispose();
            return new Outcome(null);
        }
        catch (QcowOptionsException ex)
        {
            return new Outcome(ex.Message);
        }
    }

    public override Outcome Convert(string source, string destination, string outputFormat)
    {
        try
        {
            QcowConverter.Convert(source, null, destination, new QcowConvertOptions { OutputFormat = QemuNames.ParseImageFormat(outputFormat) });
            return new Outcome(null);
        }
        catch (QcowOptionsException ex)
        {
            return new Outcome(ex.Message);
        }
    }

    public override Outcome CreateWith(string image, string qemuName, string value)
    {
        try
        {
            var options = QcowCreateOptions.Parse(null, "1M");
            options.Set(qemuName, value);
            QcowImage.Create(image, options).Dispose();
            return new Outcome(null);
        }
        catch (QcowOptionsException ex)
        {
            return new Outcome(ex.Message);
        }
    }

    public override Outcome Resize(string image, string size, bool shrink)
    {
        try
        {
            QcowKit.Resize.QcowResizer.Resize(image, new QcowKit.Resize.QcowResizeOptions { Size = QcowKit.Resize.QcowSizeChange.Parse(size), Shrink = shrink });
            return new Outcome(null);
        }
        catch (QcowOptionsException ex)
        {
            return new Outcome(ex.Message);
        }
    }

    public override Outcome Dd(string input, string output, string blockSize) => Attempt(() =>
        QcowKit.Dd.QcowDd.Run(new QcowKit.Dd.QcowDdRequest { Operands = [$"bs={blockSize}", "count=2", $"if={input}", $"of={output}"] }));

    public override Outcome AddBitmap(string image, string granularity) => Attempt(() =>
        QcowKit.Bitmaps.QcowBitmaps.Apply(image, new QcowKit.Bitmaps.QcowBitmapRequest
        {
            BitmapName = "b0", Operations = [new QcowKit.Bitmaps.QcowBitmapOperation(QcowKit.Bitmaps.QcowBitmapAction.Add)],
            Granularity = QcowKit.Bitmaps.QcowBitmaps.ParseGranularity(granularity),
        }));

    public override Outcome SeedDirectoryAs(string image, string folder, string fileSystem, string partitionTable) => Attempt(() =>
        QcowSeeder.SeedDirectory(image, new FatSeedOptions
        {
            SourceDirectory = folder, FileSystem = SeedNames.ParseFileSystem(fileSystem), PartitionTable = SeedNames.ParsePartitionTable(partitionTable),
        }));

    public override Outcome SeedContentChoice(string image, string folder, bool twoKinds) => Attempt(() =>
        QcowSeeder.Seed(image, new QcowSeedRequest
        {
            Directory = twoKinds ? new FatSeedOptions { SourceDirectory = folder } : null,
            GeneratedData = twoKinds ? new GeneratedDataSeedOptions { Length = 4096 } : null,
        }));

    private static Outcome Attempt(Action action)
    {
        try
        {
            action();
            return new Outcome(null);
        }
        catch (QcowException ex) when (ex.Kind == QcowErrorKind.BadArgument)
        {
            return new Outcome(ex.Message);
        }
    }

    public override Outcome SeedGenerated(string image, string size)
    {
        try
        {
            QcowSeeder.WriteGeneratedData(image, new GeneratedDataSeedOptions { Length = 65536 }, new SeedTargetOptions { Size = QemuSize.Parse(size) });
            return new Outcome(null);
        }
        catch (QcowException ex) when (ex.Kind == QcowErrorKind.BadArgument)
        {
            return new Outcome(ex.Message);
        }
    }

    public override Outcome SeedDirectory(string image, string folder)
    {
        try
        {
            QcowSeeder.SeedDirectory(image, new FatSeedOptions { SourceDirectory = folder, Reproducible = true }, new SeedTargetOptions());
            return new Outcome(null);
        }
        catch (QcowException ex) when (ex.Kind == QcowErrorKind.BadArgument)
        {
            return new Outcome(ex.Message);
        }
    }

    public override Measured Measure(string? image, string? size, string? optionList)
    {
        try
        {
            var measured = QcowKit.Measure.QcowMeasurer.Measure(image, new QcowKit.Measure.QcowMeasureOptions
            {
                OutputFormat = "qcow2",
                OptionList = optionList,
                Size = size is null ? null : QemuSize.ParseImageSize(size),
            });
            return new Measured(null, measured.Required, measured.FullyAllocated);
        }
        catch (QcowOptionsException ex)
        {
            return new Measured(ex.Message, 0, 0);
        }
    }
}

internal sealed partial class CliSurface(string folder) : Surface("cli")
{
    [GeneratedRegex(@"QCOW\d{4}")]
    private static partial Regex Code();

    public override Verdict Validate(string image, (string Rule, string Value)[] rules)
    {
        // An empty policy file puts check in policy mode even when every rule given only changes how it checks.
        var emptyPolicy = Path.Combine(folder, "empty-policy.json");
        File.WriteAllText(emptyPolicy, "{}");
        var args = new List<string> { "check", image, "--policy", emptyPolicy };
        foreach (var (rule, value) in rules)
        {
            var flag = "--" + QcowValidationPolicy.KebabCase(rule);
            if (QcowValidationPolicy.BooleanRuleNames.Contains(rule))
            {
                if (value == "true") args.Add(flag);
            }
            else
            {
                args.AddRange([flag, value]);
            }
        }
        var run = Run(args);
        var failure = run.StandardError.Split('\n').FirstOrDefault(l => l.Contains("failed validation", StringComparison.Ordinal));
        if (run.ExitCode == 1 && failure is null && !Code().IsMatch(run.StandardError))
        {
            return new Verdict(run.StandardError.Trim(), false, [], run.StandardError);
        }
        var blocking = failure is null ? [] : Codes(Code().Matches(failure[failure.IndexOf("blocking):", StringComparison.Ordinal)..]).Select(m => m.Value));
        return new Verdict(null, run.ExitCode == 0, blocking, run.StandardError);
    }

    public override Outcome Create(string image, string optionList, string size) => Refusal(Run(["create", "-q", "-f", "qcow2", "-o", optionList, image, size]));

    public override Outcome SeedGenerated(string image, string size) => Refusal(Run(["seed", "-q", "--generate", "64k", "--size", size, image]));

    public override Outcome Convert(string source, string destination, string outputFormat) => Refusal(Run(["convert", "-O", outputFormat, source, destination]));

    public override Outcome CreateWith(string image, string qemuName, string value) => Create(image, $"{qemuName}={value}", "1M");

    public override Outcome Dd(string input, string output, string blockSize) =>
        Refusal(Run(["dd", $"bs={blockSize}", "count=2", $"if={input}", $"of={output}"]));

    public override Outcome AddBitmap(string image, string granularity) => Refusal(Run(["bitmap", "--add", "-g", granularity, image, "b0"]));

    public override Outcome SeedDirectoryAs(string image, string folder, string fileSystem, string partitionTable) =>
        Refusal(Run(["seed", "-q", "--dir", folder, "--fs", fileSystem, "--partition", partitionTable, image]));

    public override Outcome SeedContentChoice(string image, string folder, bool twoKinds) =>
        Refusal(Run(["seed", "-q", .. twoKinds ? ["--dir", folder, "--generate", "4k"] : Array.Empty<string>(), image]));

    public override Outcome Resize(string image, string size, bool shrink) => Refusal(Run(["resize", "-q", .. shrink ? ["--shrink"] : Array.Empty<string>(), image, "--", size]));

    public override Outcome SeedDirectory(string image, string folder) => Refusal(Run(["seed", "-q", "--dir", folder, "--reproducible", image]));

    private static Outcome Refusal(ProcessResult run) => new(run.ExitCode == 0 ? null : run.StandardError.Trim());

    public override Measured Measure(string? image, string? size, string? optionList)
    {
        var run = Run(["measure", "--output=json", "-O", "qcow2", .. optionList is null ? Array.Empty<string>() : ["-o", optionList], .. size is null ? Array.Empty<string>() : ["--size", size], .. image is null ? Array.Empty<string>() : [image]]);
        if (run.ExitCode != 0) return new Measured(run.StandardError.Trim(), 0, 0);
        var json = System.Text.Json.JsonDocument.Parse(run.StandardOutput).RootElement;
        return new Measured(null, json.GetProperty("required").GetInt64(), json.GetProperty("fully-allocated").GetInt64());
    }

    private static ProcessResult Run(IReadOnlyList<string> args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = CliApplication.Run(args, output, error);
        return new ProcessResult(exitCode, output.ToString(), error.ToString());
    }
}

internal sealed class CakeSurface(string folder) : Surface("cake")
{
    public override Verdict Validate(string image, (string Rule, string Value)[] rules)
    {
        using var cake = new CakeTestContext(folder);
        var settings = new QcowValidateSettings();
        foreach (var (rule, value) in rules) settings.WithRule(rule, value);
        try
        {
            cake.Context.QcowValidate(image, settings);
            return new Verdict(null, true, [], cake.Console.Text);
        }
        catch (CakeException ex) when (ex.InnerException is QcowValidationException invalid)
        {
            return new Verdict(null, false, Codes(invalid.BlockingFindings.Select(f => f.Code)), cake.Console.Text + "\n" + ex.Message);
        }
        catch (CakeException ex)
        {
            return new Verdict(ex.Message, false, [], ex.Message);
        }
    }

    public override Outcome Create(string image, string optionList, string size) =>
        Attempt(cake => cake.Context.QcowCreate(image, new QcowCreateSettings().WithSize(size).WithOptions(optionList)));

    public override Outcome SeedGenerated(string image, string size) =>
        Attempt(cake => cake.Context.QcowSeed(image, new QcowSeedSettings().WithGeneratedData(65536).WithSize(size)));

    public override Outcome Convert(string source, string destination, string outputFormat) =>
        Attempt(cake => cake.Context.QcowConvert(source, destination, new QcowConvertSettings().WithOutputFormat(outputFormat)));

    // The settings are typed (enums); a script with a name in hand passes it as qemu's option list.
    public override Outcome CreateWith(string image, string qemuName, string value) =>
        Attempt(cake => cake.Context.QcowCreate(image, new QcowCreateSettings().WithSize("1M").WithOptions($"{qemuName}={value}")));

    public override Outcome SeedDirectory(string image, string folder) =>
        Attempt(cake => cake.Context.QcowSeed(image, new QcowSeedSettings().WithDirectory(folder).WithReproducible()));

    public override Outcome Dd(string input, string output, string blockSize) =>
        Attempt(cake => cake.Context.QcowDd(input, output, new QcowDdSettings { BlockSize = blockSize, Count = "2" }));

    // The request is the engine's own; a script with the text in hand parses it with the engine's parser.
    public override Outcome AddBitmap(string image, string granularity) =>
        Attempt(cake => cake.Context.QcowBitmap(image, new QcowKit.Bitmaps.QcowBitmapRequest
        {
            BitmapName = "b0", Operations = [new QcowKit.Bitmaps.QcowBitmapOperation(QcowKit.Bitmaps.QcowBitmapAction.Add)],
            Granularity = QcowKit.Bitmaps.QcowBitmaps.ParseGranularity(granularity),
        }));

    // The settings are typed (enums); a script with a name in hand parses it with the engine's SeedNames.
    public override Outcome SeedDirectoryAs(string image, string folder, string fileSystem, string partitionTable) =>
        Attempt(cake => cake.Context.QcowSeed(image, new QcowSeedSettings
        {
            FileSystem = SeedNames.ParseFileSystem(fileSystem), PartitionTable = SeedNames.ParsePartitionTable(partitionTable),
        }.WithDirectory(folder)));

    public override Outcome SeedContentChoice(string image, string folder, bool twoKinds) =>
        Attempt(cake => cake.Context.QcowSeed(image, twoKinds ? new QcowSeedSettings().WithDirectory(folder).WithGeneratedData(4096) : new QcowSeedSettings()));

    public override Outcome Resize(string image, string size, bool shrink) =>
        Attempt(cake => cake.Context.QcowResize(image, size, new QcowResizeSettings().WithShrink(shrink)));

    public override Measured Measure(string? image, string? size, string? optionList)
    {
        using var cake = new CakeTestContext(folder);
        var settings = new QcowMeasureSettings { OutputFormat = "qcow2", Options = optionList };
        try
        {
            var measured = image is null ? cake.Context.QcowMeasureSize(size!, settings) : cake.Context.QcowMeasure(image, settings);
            return new Measured(null, measured.Required, measured.FullyAllocated);
        }
        catch (Exception ex) when (ex is CakeException or QcowOptionsException)
        {
            return new Measured(ex.Message, 0, 0);
        }
    }

    private Outcome Attempt(Action<CakeTestContext> action)
    {
        using var cake = new CakeTestContext(folder);
        try
        {
            action(cake);
            return new Outcome(null);
        }
        catch (Exception ex) when (ex is CakeException or QcowOptionsException)
        {
            return new Outcome(ex.Message);
        }
    }
}

internal sealed class MsBuildSurface() : Surface("msbuild")
{
    public override Verdict Validate(string image, (string Rule, string Value)[] rules)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowValidate { BuildEngine = engine, Image = [new TaskItem(image)] };
        foreach (var (rule, value) in rules)
        {
            // Every rule is a task parameter of the same name.
            var property = typeof(QcowValidate).GetProperty(rule) ?? throw new AssertionException($"QcowValidate has no parameter {rule}");
            if (property.PropertyType == typeof(bool)) property.SetValue(task, value == "true");
            else if (property.PropertyType == typeof(string[])) property.SetValue(task, (string[])[.. (string[])property.GetValue(task)!, value]);
            else property.SetValue(task, value);
        }
        var ok = task.Execute();
        var taskErrors = engine.Errors.Where(e => e.Code.StartsWith("QCOW1", StringComparison.Ordinal)).ToList();
        if (taskErrors.Count > 0)
        {
            return new Verdict(string.Join('\n', taskErrors.Select(e => e.Message)), false, [], engine.Describe());
        }
        return new Verdict(null, ok, Codes(engine.Errors.Select(e => e.Code)), engine.Describe());
    }

    public override Outcome Create(string image, string optionList, string size) =>
        Run(new QcowCreate { Image = new TaskItem(image), Options = optionList, Size = size });

    public override Outcome Convert(string source, string destination, string outputFormat) =>
        Run(new QcowConvert { Source = new TaskItem(source), Destination = new TaskItem(destination), OutputFormat = outputFormat });

    public override Outcome CreateWith(string image, string qemuName, string value)
    {
        var task = new QcowCreate { Image = new TaskItem(image), Size = "1M" };
        switch (qemuName)
        {
            case "compat": task.Compat = value; break;
            case "compression_type": task.CompressionType = value; break;
            case "preallocation": task.Preallocation = value; break;
            case "cluster_size": task.ClusterSize = value; break;
            case "refcount_bits": task.RefcountBits = value; break;
            default: throw new AssertionException($"QcowCreate has no parameter for {qemuName}");
        }
        return Run(task);
    }

    public override Outcome SeedGenerated(string image, string size) =>
        Run(new QcowSeed { Image = new TaskItem(image), GeneratedLength = "64k", Size = size });

    public override Outcome Dd(string input, string output, string blockSize) =>
        Run(new QcowDd { Input = new TaskItem(input), Output = new TaskItem(output), BlockSize = blockSize, Count = "2" });

    public override Outcome AddBitmap(string image, string granularity) =>
        Run(new QcowBitmap { Image = new TaskItem(image), Bitmap = "b0", Operations = ["add"], Granularity = granularity });

    public override Outcome SeedDirectoryAs(string image, string folder, string fileSystem, string partitionTable) =>
        Run(new QcowSeed { Image = new TaskItem(image), SourceDirectory = new TaskItem(folder), FileSystem = fileSystem, PartitionTable = partitionTable });

    public override Outcome SeedContentChoice(string image, string folder, bool twoKinds) =>
        Run(twoKinds
            ? new QcowSeed { Image = new TaskItem(image), SourceDirectory = new TaskItem(folder), GeneratedLength = "4k" }
            : new QcowSeed { Image = new TaskItem(image) });

    public override Outcome Resize(string image, string size, bool shrink) =>
        Run(new QcowResize { Image = new TaskItem(image), Size = size, Shrink = shrink });

    public override Outcome SeedDirectory(string image, string folder) =>
        Run(new QcowSeed { Image = new TaskItem(image), SourceDirectory = new TaskItem(folder), Reproducible = true });

    public override Measured Measure(string? image, string? size, string? optionList)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowMeasure
        {
            BuildEngine = engine, Image = image is null ? null : new TaskItem(image), Size = size, OutputFormat = "qcow2", Options = optionList,
        };
        return task.Execute()
            ? new Measured(null, task.Required, task.FullyAllocated)
            : new Measured(string.Join('\n', engine.Errors.Select(e => e.Message)), 0, 0);
    }

    private static Outcome Run(QcowTask task)
    {
        var engine = new FakeBuildEngine();
        task.BuildEngine = engine;
        using (task)
        {
            return new Outcome(task.Execute() ? null : string.Join('\n', engine.Errors.Select(e => e.Message)));
        }
    }
}
