using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Parity.Tests;

/// <summary>Sizes and qemu option lists go through the engine's one parser on every surface.</summary>
public sealed class ArgumentParityTests
{
    private static readonly string[] SeedSizes = ["1M", "1m", "1048576", "0x100000", "1024k", "0.5M", "1.5M", "0.0009765625G", "1Q", "1.5", "-1", "1MB", "lots"];

    [TestCaseSource(nameof(SeedSizes))]
    public void A_seed_size_means_the_same_disk_size_or_the_same_refusal_everywhere(string size)
    {
        using var temp = new TempDirectory("parity-size");
        var outcomes = Surface.All(temp.Path).Select(surface =>
        {
            var image = temp.File($"{surface.Name}.qcow2");
            var outcome = surface.SeedGenerated(image, size);
            return (surface, outcome, virtualSize: outcome.Refusal is null ? (long?)Qemu.Info(image)["virtual-size"]!.GetValue<long>() : null);
        }).ToList();

        var engine = outcomes[0];
        foreach (var (surface, outcome, virtualSize) in outcomes.Skip(1))
        {
            var context = $"{surface}: {outcome}; library: {engine.outcome}";
            if (engine.outcome.Refusal is not null) Assert.That(outcome.Refusal, Does.Contain(engine.outcome.Refusal), context);
            else Assert.That(virtualSize, Is.EqualTo(engine.virtualSize), context);
        }
    }

    private static readonly string[] OptionLists =
        ["cluster_size=4k,", ",cluster_size=4k", "cluster_size=4k,,lazy_refcounts=on", "foo=bar", "cluster_size=3k", "cluster_size=4k,lazy_refcounts=on", "compat=0.10,,",
         "compat=2", "compat=V3", "compat=v2", "compression_type=ZSTD", "compression_type=zstd", "preallocation=Full", "preallocation=metadata",
         "cluster_size=4G", "refcount_bits=3", "refcount_bits=4294967296"];

    [TestCaseSource(nameof(OptionLists))]
    public void An_option_list_is_accepted_or_refused_as_qemu_img_does_on_every_surface(string optionList)
    {
        using var temp = new TempDirectory("parity-options");
        var qemu = Qemu.Img("create", "-q", "-f", "qcow2", "-o", optionList, temp.File("qemu.qcow2"), "1M");

        foreach (var surface in Surface.All(temp.Path))
        {
            var image = temp.File($"{surface.Name}.qcow2");
            var outcome = surface.Create(image, optionList, "1M");
            Assert.That(outcome.Refusal is null, Is.EqualTo(qemu.ExitCode == 0), $"{surface}: {outcome}; qemu-img: {qemu.StandardError}");
            if (outcome.Refusal is not null)
            {
                // qemu-img's message, without its "qemu-img: [FILE: ]" prefix and line breaks.
                var message = qemu.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(": ")[^1];
                Assert.That(outcome.Refusal, Does.Contain(message), surface.Name);
            }
        }
    }

    private static readonly string[][] Measurements =
    [
        ["image", "", "cluster_size=4k"], ["image", "", "extended_l2=on,refcount_bits=64"], ["", "10G", "cluster_size=2M"], ["", "0x100000", "compat=0.10"],
        ["", "1.5G", "refcount_bits=1"], ["", "1E", ""], ["", "10G", "compat=v3"], ["", "10G", "cluster_size=abc"], ["", "10G", "lazy"], ["image", "1G", ""], ["", "", ""],
    ];

    [TestCaseSource(nameof(Measurements))]
    public void A_measurement_gives_qemu_img_measures_figures_or_its_refusal_on_every_surface(string source, string size, string optionList)
    {
        using var temp = new TempDirectory("parity-measure");
        string? image = null;
        if (source == "image")
        {
            image = temp.File("source.qcow2");
            Qemu.CreateQcow2(image, "30M");
            Qemu.Io(image, "write -P 1 0 2M", "write -z 4M 1M", "write -P 2 9M 64k");
        }
        string[] arguments = ["measure", "--output=json", "-O", "qcow2", .. optionList.Length > 0 ? ["-o", optionList] : Array.Empty<string>(),
            .. size.Length > 0 ? ["--size", size] : Array.Empty<string>(), .. image is null ? Array.Empty<string>() : [image]];
        var qemu = Qemu.Img(arguments);

        // Cake has one alias for an image and one for a size, so it cannot be asked for both or neither.
        var expressible = Surface.All(temp.Path).Where(surface => surface is not CakeSurface || (image is null) != (size.Length == 0));
        foreach (var surface in expressible)
        {
            var measured = surface.Measure(image, size.Length > 0 ? size : null, optionList.Length > 0 ? optionList : null);
            Assert.That(measured.Refusal is null, Is.EqualTo(qemu.ExitCode == 0), $"{surface}: {measured}; qemu-img: {qemu.StandardError}");
            if (measured.Refusal is null)
            {
                var json = System.Text.Json.JsonDocument.Parse(qemu.StandardOutput).RootElement;
                Assert.That((measured.Required, measured.FullyAllocated),
                    Is.EqualTo((json.GetProperty("required").GetInt64(), json.GetProperty("fully-allocated").GetInt64())), surface.Name);
            }
            else
            {
                // qemu-img's first message, without its "qemu-img: " prefix.
                var message = qemu.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]["qemu-img: ".Length..];
                Assert.That(measured.Refusal, Does.Contain(message), surface.Name);
            }
        }
    }

    private static readonly (string QemuName, string Value)[] CreateParameters =
    [
        ("compat", "0.10"), ("compat", "v3"), ("compat", "2"), ("compat", "V3"),
        ("compression_type", "zstd"), ("compression_type", "ZSTD"), ("compression_type", "deflate"),
        ("preallocation", "metadata"), ("preallocation", "Full"), ("preallocation", "on"),
        ("cluster_size", "4k"), ("cluster_size", "4G"), ("refcount_bits", "8"), ("refcount_bits", "3"),
    ];

    [TestCaseSource(nameof(CreateParameters))]
    public void A_create_parameter_takes_qemus_spellings_through_the_engines_parser_on_every_surface((string QemuName, string Value) parameter)
    {
        using var temp = new TempDirectory("parity-parameter");
        var qemu = Qemu.Img("create", "-q", "-f", "qcow2", "-o", $"{parameter.QemuName}={parameter.Value}", temp.File("qemu.qcow2"), "1M");
        foreach (var surface in Surface.All(temp.Path))
        {
            var image = temp.File($"{surface.Name}.qcow2");
            var outcome = surface.CreateWith(image, parameter.QemuName, parameter.Value);
            Assert.That(outcome.Refusal is null, Is.EqualTo(qemu.ExitCode == 0), $"{surface}: {outcome}; qemu-img: {qemu.StandardError}");
            if (outcome.Refusal is null)
            {
                var (exitCode, _, check) = Qemu.Check(image);
                Assert.That(exitCode, Is.Zero, $"{surface}: {check.StandardError}");
                continue;
            }
            var message = qemu.StandardError.Trim().Split('\n')[^1].Split(": ")[^1];
            Assert.That(outcome.Refusal, Does.Contain(message), surface.Name);
        }
    }

    private static readonly string[] ResizeSizes =
        ["+1M", "2M", "0x200000", "1.5M", "+0.5M", "+1.5k", "2097152", "2000000", "512k", "-512k", "+0", "0", "8E", "abc", "1Q", "18446744073709551616", "+", "2m", "2MB"];

    [TestCaseSource(nameof(ResizeSizes))]
    public void A_resize_size_gives_qemu_img_resizes_size_or_its_refusal_on_every_surface(string size)
    {
        using var temp = new TempDirectory("parity-resize");
        var qemuImage = temp.File("qemu.qcow2");
        Qemu.CreateQcow2(qemuImage, "1M");
        var qemu = Qemu.Img("resize", "-q", qemuImage, "--", size);
        foreach (var surface in Surface.All(temp.Path))
        {
            var image = temp.File($"{surface.Name}.qcow2");
            Qemu.CreateQcow2(image, "1M");
            var outcome = surface.Resize(image, size, shrink: false);
            Assert.That(outcome.Refusal is null, Is.EqualTo(qemu.ExitCode == 0), $"{surface}: {outcome}; qemu-img: {qemu.StandardError}");
            if (outcome.Refusal is null)
            {
                Assert.That(Qemu.Info(image)["virtual-size"]!.GetValue<long>(), Is.EqualTo(Qemu.Info(qemuImage)["virtual-size"]!.GetValue<long>()), surface.Name);
                continue;
            }
            // qemu-img's first message, without its "qemu-img: " prefix.
            var message = qemu.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]["qemu-img: ".Length..];
            Assert.That(outcome.Refusal, Does.Contain(message), surface.Name);
        }
    }

    private static readonly (string FileSystem, string PartitionTable)[] SeedLayouts =
        [("fat16", "none"), ("FAT16", "GPT"), ("Fat16", "mbr"), ("auto", "gpt"), ("ext4", "none"), ("fat16", "bsd"), ("fat12", "mbr"), ("", "none")];

    [TestCaseSource(nameof(SeedLayouts))]
    public void A_file_system_and_partition_table_name_is_taken_or_refused_alike_on_every_surface((string FileSystem, string PartitionTable) layout)
    {
        using var temp = new TempDirectory("parity-seed-names");
        var content = Directory.CreateDirectory(temp.File("content")).FullName;
        File.WriteAllText(Path.Combine(content, "hello.txt"), "hello\n");
        var outcomes = Surface.All(temp.Path).Select(surface => (surface, outcome: surface.SeedDirectoryAs(temp.File($"{surface.Name}.img"), content, layout.FileSystem, layout.PartitionTable))).ToList();
        var library = outcomes[0].outcome;
        // MSBuild leaves an empty parameter at its default, as it does for every parameter.
        foreach (var (surface, outcome) in outcomes.Skip(1).Where(o => o.surface is not MsBuildSurface || layout.FileSystem.Length > 0))
        {
            Assert.That(outcome.Refusal is null, Is.EqualTo(library.Refusal is null), $"{surface}: {outcome}; library: {library}");
            if (library.Refusal is not null) Assert.That(outcome.Refusal, Does.Contain(library.Refusal), surface.Name);
            else Assert.That(Hashing.Sha256OfFile(temp.File($"{surface.Name}.img")).Length, Is.GreaterThan(0));
        }
        Assert.That(library.Refusal is null, Is.EqualTo(layout.FileSystem.Length > 0 && !layout.FileSystem.StartsWith("ext", StringComparison.Ordinal) && layout.FileSystem != "fat12" && layout.PartitionTable != "bsd"), library.ToString());
    }

    [TestCase(false)]
    [TestCase(true)]
    public void No_content_or_two_kinds_at_once_is_refused_with_the_engines_words_on_every_surface(bool twoKinds)
    {
        using var temp = new TempDirectory("parity-seed-choice");
        var content = Directory.CreateDirectory(temp.File("content")).FullName;
        File.WriteAllText(Path.Combine(content, "hello.txt"), "hello\n");
        foreach (var surface in Surface.All(temp.Path))
        {
            var image = temp.File($"{surface.Name}.img");
            var outcome = surface.SeedContentChoice(image, content, twoKinds);
            Assert.That(outcome.Refusal, Does.Contain($"{QcowSeeder.ContentChoiceMessage} ({(twoKinds ? 2 : 0)} given)"), surface.Name);
            Assert.That(File.Exists(image), Is.False, surface.Name);
        }
    }

    private static readonly string[] DdBlockSizes = ["512", "4k", "4K", "1M", "0x1000", "1.5k", "0", "abc", "-1", "1Q", "2G"];

    [TestCaseSource(nameof(DdBlockSizes))]
    public void A_dd_block_size_gives_qemu_img_dds_output_or_its_refusal_on_every_surface(string blockSize)
    {
        using var temp = new TempDirectory("parity-dd");
        var input = temp.File("input.raw");
        File.WriteAllBytes(input, [.. Enumerable.Range(0, 3 << 20).Select(i => (byte)(i * 7))]);
        var qemuOutput = temp.File("qemu.raw");
        var qemu = Qemu.Img("dd", "-O", "raw", $"bs={blockSize}", "count=2", $"if={input}", $"of={qemuOutput}");
        foreach (var surface in Surface.All(temp.Path))
        {
            var output = temp.File($"{surface.Name}.raw");
            var outcome = surface.Dd(input, output, blockSize);
            Assert.That(outcome.Refusal is null, Is.EqualTo(qemu.ExitCode == 0), $"{surface}: {outcome}; qemu-img: {qemu.StandardError}");
            if (outcome.Refusal is null)
            {
                Assert.That(Hashing.Sha256OfFile(output), Is.EqualTo(Hashing.Sha256OfFile(qemuOutput)), surface.Name);
                continue;
            }
            var message = qemu.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]["qemu-img: ".Length..];
            Assert.That(outcome.Refusal, Does.Contain(message), surface.Name);
        }
    }

    private static readonly string[] BitmapGranularities = ["64k", "65536", "512", "4K", "1M", "0x10000", "2G", "4G", "3k", "256", "0", "abc", "1.5k"];

    [TestCaseSource(nameof(BitmapGranularities))]
    public void A_bitmap_granularity_is_taken_or_refused_as_qemu_img_bitmap_does_on_every_surface(string granularity)
    {
        using var temp = new TempDirectory("parity-bitmap");
        var qemuImage = temp.File("qemu.qcow2");
        Qemu.CreateQcow2(qemuImage, "4M");
        var qemu = Qemu.Img("bitmap", "--add", "-g", granularity, qemuImage, "b0");
        foreach (var surface in Surface.All(temp.Path))
        {
            var image = temp.File($"{surface.Name}.qcow2");
            Qemu.CreateQcow2(image, "4M");
            var outcome = surface.AddBitmap(image, granularity);
            Assert.That(outcome.Refusal is null, Is.EqualTo(qemu.ExitCode == 0), $"{surface}: {outcome}; qemu-img: {qemu.StandardError}");
            if (outcome.Refusal is null)
            {
                var bitmaps = (System.Text.Json.Nodes.JsonArray)Qemu.Info(image)["format-specific"]!["data"]!["bitmaps"]!;
                var expected = (System.Text.Json.Nodes.JsonArray)Qemu.Info(qemuImage)["format-specific"]!["data"]!["bitmaps"]!;
                Assert.That(bitmaps.ToJsonString(), Is.EqualTo(expected.ToJsonString()), surface.Name);
                continue;
            }
            var message = qemu.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]["qemu-img: ".Length..];
            Assert.That(outcome.Refusal, Does.Contain(message), surface.Name);
        }
    }

    private static readonly string[] OutputFormats = ["qcow2", "raw", "QCOW2", "Raw", "RAW", "qcow2 ", "vmdk"];

    [TestCaseSource(nameof(OutputFormats))]
    public void An_output_format_name_is_taken_or_refused_as_qemu_img_convert_does_on_every_surface(string outputFormat)
    {
        using var temp = new TempDirectory("parity-format");
        var source = temp.File("source.qcow2");
        Qemu.CreateQcow2(source, "1M");
        var qemu = Qemu.Img("convert", "-O", outputFormat, source, temp.File("qemu.out"));
        // qemu writes formats that QcowKit does not (vmdk); those are refused with qemu's words for an unknown one.
        var qcowKitWrites = qemu.ExitCode == 0 && outputFormat is "qcow2" or "raw";
        var expected = qemu.ExitCode != 0 ? qemu.StandardError.Trim().Split("qemu-img: ")[^1] : $"Unknown file format '{outputFormat}'";
        foreach (var surface in Surface.All(temp.Path))
        {
            // MSBuild trims attribute values, as it does for every parameter.
            if (surface is MsBuildSurface && outputFormat != outputFormat.Trim()) continue;
            var destination = temp.File($"{surface.Name}.out");
            var outcome = surface.Convert(source, destination, outputFormat);
            if (qcowKitWrites)
            {
                Assert.That(outcome.Refusal, Is.Null, surface.Name);
                Assert.That((string)Qemu.Info(destination)["format"]!, Is.EqualTo(outputFormat), surface.Name);
            }
            else
            {
                Assert.That(outcome.Refusal, Does.Contain(expected), $"{surface}; qemu-img: {qemu.StandardError}");
                Assert.That(File.Exists(destination), Is.False, surface.Name);
            }
        }
    }

    [Test]
    public void Reproducible_seeds_take_their_time_from_SOURCE_DATE_EPOCH_on_every_surface()
    {
        using var temp = new TempDirectory("parity-epoch");
        var content = Directory.CreateDirectory(temp.File("content")).FullName;
        File.WriteAllText(Path.Combine(content, "hello.txt"), "hello\n");
        var previous = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        var hashes = new Dictionary<string, string>();
        try
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", "1700000000");
            foreach (var surface in Surface.All(temp.Path))
            {
                var image = temp.File($"{surface.Name}.qcow2");
                Assert.That(surface.SeedDirectory(image, content).Refusal, Is.Null, surface.Name);
                hashes[surface.Name] = Qemu.RawSha256(image);
            }
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", null);
            var epoch1980 = temp.File("unset.qcow2");
            new LibrarySurface().SeedDirectory(epoch1980, content);

            Assert.That(hashes.Values.Distinct().Count(), Is.EqualTo(1), string.Join('\n', hashes));
            Assert.That(Qemu.RawSha256(epoch1980), Is.Not.EqualTo(hashes["library"]), "SOURCE_DATE_EPOCH changes the timestamps");
        }
        finally
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", previous);
        }
    }

    [Test]
    public void A_malformed_SOURCE_DATE_EPOCH_is_refused_with_the_same_message_everywhere()
    {
        using var temp = new TempDirectory("parity-epoch");
        var content = Directory.CreateDirectory(temp.File("content")).FullName;
        File.WriteAllText(Path.Combine(content, "hello.txt"), "hello\n");
        var previous = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        try
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", "yesterday");
            foreach (var surface in Surface.All(temp.Path))
            {
                var outcome = surface.SeedDirectory(temp.File($"{surface.Name}.qcow2"), content);
                Assert.That(outcome.Refusal, Does.Contain("SOURCE_DATE_EPOCH: 'yesterday' is not a number of seconds since 1970"), surface.Name);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", previous);
        }
    }
}
