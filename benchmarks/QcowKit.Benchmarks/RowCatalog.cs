using System.Globalization;

namespace QcowKit.Benchmarks;

/// <summary>The rows of issue 10, with our side chosen by what this build's CLI offers.</summary>
internal sealed class RowCatalog(SuiteOptions options, DataSet data)
{
    private const string QemuImg = "qemu-img";
    private const string QemuIo = "qemu-io";
    private const string CliTool = "qcowkit";
    private const string EngineTool = "qcowkit*";

    public IReadOnlyList<SuiteRow> Build(Action<string> log)
    {
        var hasCheck = HasVerb("check");
        var hasCreate = HasVerb("create");
        var qcow2Plain = ConvertToQcow2Unavailable([]);
        var qcow2Deflate = ConvertToQcow2Unavailable(["-c", "-o", "compression_type=zlib"]);
        var qcow2Zstd = ConvertToQcow2Unavailable(["-c", "-o", "compression_type=zstd"]);
        log($"CLI verbs: check {(hasCheck ? "yes" : "no (engine exe)")}, create {(hasCreate ? "yes" : "no (engine exe)")}, " +
            $"convert -O qcow2 {(qcow2Plain is null ? "yes" : "no")}, -c zlib {(qcow2Deflate is null ? "yes" : "no")}, -c zstd {(qcow2Zstd is null ? "yes" : "no")}");
        var rawOut = data.PathOf("out.raw");
        var qcowOut = data.PathOf("out.qcow2");
        var smallImage = data.PathOf("small.qcow2");
        var dataMiB = (options.DataBytes >> 20).ToString(CultureInfo.InvariantCulture);
        var rows = new List<SuiteRow>();

        void ToRaw(string id, string title, string input, string bound) => rows.Add(new SuiteRow(id, "1 convert qcow2 -> raw", title,
            Img("convert", "-f", "qcow2", "-O", "raw", input, rawOut), Cli("convert", "-f", "qcow2", "-O", "raw", input, rawOut), null, [rawOut], bound,
            [Qemu("compare", "-f", "qcow2", "-F", "raw", input, rawOut)]));
        ToRaw("convert-raw-plain", $"uncompressed ({dataMiB} MiB of files)", data.Plain, "page-cache copy + write of the output (I/O)");
        ToRaw("convert-raw-deflate", "deflate-compressed", data.Deflate, "inflate (CPU)");
        ToRaw("convert-raw-zstd", "zstd-compressed", data.Zstd, "zstd decompression (CPU)");

        void ToQcow2(string id, string title, string[] flags, string? unavailable, string bound) => rows.Add(new SuiteRow(id, "2 convert raw -> qcow2", title,
            Img(["convert", "-f", "raw", "-O", "qcow2", .. flags, data.Raw, qcowOut]),
            unavailable is null ? Cli(["convert", "-f", "raw", "-O", "qcow2", .. flags, data.Raw, qcowOut]) : null,
            unavailable, [qcowOut], bound,
            [Qemu("check", "-f", "qcow2", qcowOut), Qemu("compare", "-f", "raw", "-F", "qcow2", data.Raw, qcowOut)]));
        ToQcow2("convert-qcow2-plain", "plain", [], qcow2Plain, "zero detection + write (I/O)");
        ToQcow2("convert-qcow2-deflate", "-c deflate", ["-c", "-o", "compression_type=zlib"], qcow2Deflate, "deflate (CPU)");
        ToQcow2("convert-qcow2-zstd", "-c zstd", ["-c", "-o", "compression_type=zstd"], qcow2Zstd, "zstd compression (CPU)");

        SideCommands OurCheck(string image) => hasCheck ? Cli("check", "-f", "qcow2", image) : Engine("check", image);
        rows.Add(new SuiteRow("check-allocated", "3 check", $"{data.FullyAllocatedSize} virtual, every cluster allocated (preallocation=metadata)",
            Img("check", "-f", "qcow2", data.FullyAllocated), OurCheck(data.FullyAllocated), null, [], "metadata reads + refcount array (CPU, memory)"));
        rows.Add(new SuiteRow("check-sparse", "3 check", $"{data.SparseHugeSize} virtual, {data.SparseHugeWrites} scattered clusters",
            Img("check", "-f", "qcow2", data.SparseHuge), OurCheck(data.SparseHuge), null, [], "process start + L1 walk"));

        rows.Add(new SuiteRow("chain-convert", "4 backing chain / random reads", "4-deep backing chain -> raw",
            Img("convert", "-O", "raw", data.ChainTop, rawOut), Cli("convert", "-O", "raw", data.ChainTop, rawOut), null, [rawOut], "chain resolution + copy (I/O)",
            [Qemu("compare", "-f", "raw", "-F", "raw", data.ChainFlat, rawOut)]));
        rows.Add(new SuiteRow("chain-compare", "4 backing chain / random reads", "compare 4-deep chain with its raw copy",
            Img("compare", data.ChainTop, data.ChainFlat), Cli("compare", data.ChainTop, data.ChainFlat), null, [], "reading both images + memcmp (I/O)"));
        var reads = File.ReadAllLines(data.RandomOffsets);
        rows.Add(new SuiteRow("random-reads", "4 backing chain / random reads", $"{reads.Length} random 4 KiB reads, fragmented {data.FragmentedSize >> 20} MiB image",
            new SideCommands(QemuIo, [new CommandLine(QemuIo, ["-f", "qcow2", .. reads.SelectMany(o => new[] { "-c", $"read -q {o} 4k" }), data.Fragmented])]),
            Engine("randread", data.Fragmented, data.RandomOffsets), null, [], "per-read overhead (CPU); qemu-io parses one command per read"));

        var createCheck = hasCreate && hasCheck
            ? new SideCommands(CliTool, [CliCommand("create", "-f", "qcow2", smallImage, "64M"), CliCommand("check", "-f", "qcow2", smallImage)])
            : Engine("create-check", smallImage, "64M");
        rows.Add(new SuiteRow("create-check", "5 create + validate", "64 MiB image, create then check (process start included)",
            new SideCommands(QemuImg, [new CommandLine(QemuImg, ["create", "-q", "-f", "qcow2", smallImage, "64M"]), new CommandLine(QemuImg, ["check", "-f", "qcow2", smallImage])]),
            createCheck, null, [smallImage], options.Cli is CliKind.Aot or CliKind.Tool ? "process start" : "process start (runtime start-up + JIT)"));

        // Short commands, where process start is most of the time: what the native tool package is for.
        var start = options.Cli is CliKind.Aot or CliKind.Tool ? "process start" : "process start (runtime start-up + JIT)";
        SideCommands OurInfo(params string[] arguments) => Cli(["info", .. arguments]);
        rows.Add(new SuiteRow("info-64m", "6 short commands", "info of a 64 MiB image (every cluster written)",
            Img("info", data.Written64), OurInfo(data.Written64), null, [], start));
        rows.Add(new SuiteRow("check-64m", "6 short commands", "check of a 64 MiB image (every cluster written)",
            Img("check", "-f", "qcow2", data.Written64), OurCheck(data.Written64), null, [], start + " + 1024 refcounts"));
        rows.Add(new SuiteRow("info-chain20", "6 short commands", $"info of the top of a {DataSet.DeepChainLength}-deep backing chain",
            Img("info", data.DeepChainTop), OurInfo(data.DeepChainTop), null, [], start + " + opening the chain"));
        rows.Add(new SuiteRow("info-chain20-all", "6 short commands", $"info --backing-chain of a {DataSet.DeepChainLength}-deep backing chain",
            Img("info", "--backing-chain", data.DeepChainTop), OurInfo("--backing-chain", data.DeepChainTop), null, [], start + " + describing every image"));
        return rows;
    }

    private static SideCommands Img(params string[] arguments) => new(QemuImg, [new CommandLine(QemuImg, arguments)]);

    private static CommandLine Qemu(params string[] arguments) => new(QemuImg, arguments);

    private SideCommands Cli(params string[] arguments) => new(CliTool, [CliCommand(arguments)]);

    private CommandLine CliCommand(params string[] arguments) =>
        options.Cli is CliKind.Aot or CliKind.Tool ? new(options.CliDll, arguments) : new("dotnet", [options.CliDll, .. arguments]);

    /// <summary>Our engine through this exe's <c>engine</c> command, for operations the CLI has no verb for.</summary>
    private static SideCommands Engine(params string[] arguments) =>
        new(EngineTool, [new CommandLine("dotnet", [Path.Combine(AppContext.BaseDirectory, "QcowKit.Benchmarks.dll"), "engine", .. arguments])]);

    /// <summary>Whether the root help lists <paramref name="verb"/> (an unknown verb with --help still exits 0).</summary>
    private bool HasVerb(string verb) => ChildProcess.Run(CliCommand("--help")).StandardOutput
        .Split('\n')
        .Any(line => line.StartsWith("  ", StringComparison.Ordinal) && line.TrimStart().Split(' ')[0] == verb);

    /// <summary>Null when our convert -O qcow2 (with these flags) works on a small file, else the CLI's own message.</summary>
    private string? ConvertToQcow2Unavailable(string[] flags)
    {
        var source = data.PathOf("probe.raw");
        var target = data.PathOf("probe.qcow2");
        if (!File.Exists(source))
        {
            var bytes = new byte[1 << 20];
            new Random(1).NextBytes(bytes.AsSpan(0, 1 << 19));
            File.WriteAllBytes(source, bytes);
        }
        var result = ChildProcess.Run(CliCommand(["convert", "-f", "raw", "-O", "qcow2", .. flags, source, target]));
        File.Delete(target);
        return result.ExitCode == 0 ? null : $"qcowkit convert -O qcow2 {string.Join(' ', flags)} on this build: {result.StandardError.Trim().ReplaceLineEndings(" ")}".Trim();
    }
}
