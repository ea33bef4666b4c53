using System.Globalization;

namespace QcowKit.Benchmarks;

/// <summary>Command-line options of <c>compare</c>.</summary>
internal sealed class SuiteOptions
{
    /// <summary>Tiny images, one run per side: checks in CI that every row still runs.</summary>
    public bool Quick { get; private set; }

    public int Runs { get; private set; }

    /// <summary>Bytes of real files put into the ext4 filesystem the convert rows use.</summary>
    public long DataBytes { get; private set; }

    /// <summary>Where the input images are made (kept between runs, keyed by size).</summary>
    public string WorkDirectory { get; private set; } = "";

    public string OutputDirectory { get; private set; } = "";

    /// <summary>The measured CLI: QcowKit.Cli.dll (run with <c>dotnet</c>) or, for <see cref="CliKind.Aot"/>, the native executable.</summary>
    public string CliDll { get; private set; } = "";

    /// <summary>
    /// The CLI project to publish for linux-x64 into the work folder and measure (NativeAOT by default in the full
    /// suite, ReadyToRun with <c>--r2r-cli</c>), or null to measure <see cref="CliDll"/> as built (<c>--quick</c>,
    /// <c>--jit-cli</c>, <c>--cli</c>).
    /// </summary>
    public string? PublishCliProject { get; private set; }

    /// <summary>How the measured CLI is built.</summary>
    public CliKind Cli { get; private set; } = CliKind.Jit;

    /// <summary>How the measured CLI was built, for the report.</summary>
    public string CliBuild => Cli switch
    {
        CliKind.Aot => "NativeAOT publish (linux-x64)",
        CliKind.ReadyToRun => "ReadyToRun publish (linux-x64)",
        CliKind.Tool => "installed dotnet tool (QcowKit.Cli.linux-x64, NativeAOT)",
        _ => "portable build (JIT)",
    };

    /// <summary>Row ids to run (all when empty), e.g. to re-measure rows after an engine change.</summary>
    public IReadOnlyList<string> Rows { get; private set; } = [];

    public string Mode => Quick ? "quick" : "full";

    public static SuiteOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SuiteOptions();
        int? runs = null;
        long? dataMiB = null;
        string? work = null;
        string? output = null;
        string? cli = null;
        CliKind? kind = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick": options.Quick = true; break;
                case "--runs": runs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--data-mib": dataMiB = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--work": work = Value(); break;
                case "--out": output = Value(); break;
                case "--cli": cli = Value(); break;
                case "--jit-cli": kind = CliKind.Jit; break;
                case "--r2r-cli": kind = CliKind.ReadyToRun; break;
                case "--aot-cli": kind = CliKind.Aot; break;
                case "--tool-cli": kind = CliKind.Tool; break;
                case "--rows": options.Rows = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        options.Runs = runs ?? (options.Quick ? 1 : 3);
        options.DataBytes = (dataMiB ?? (options.Quick ? 8 : 256)) << 20;
        options.WorkDirectory = Path.GetFullPath(work ?? Path.Combine(Path.GetTempPath(), "qcowkit-bench", $"{options.Mode}-{options.DataBytes >> 20}m"));
        options.OutputDirectory = Path.GetFullPath(output ?? Path.Combine(FindRepoRoot() ?? ".", "benchmarks", "results"));
        options.CliDll = Path.GetFullPath(cli ?? Path.Combine(AppContext.BaseDirectory, "QcowKit.Cli.dll"));
        var project = FindRepoRoot() is { } root ? Path.Combine(root, "src", "QcowKit.Cli", "QcowKit.Cli.csproj") : null;
        options.Cli = cli is not null ? CliKind.Jit : kind ?? (options.Quick ? CliKind.Jit : CliKind.Aot);
        if (options.Cli != CliKind.Jit)
        {
            options.PublishCliProject = project ?? throw new ArgumentException("--aot-cli, --r2r-cli and --tool-cli need the repository (QcowKit.sln above this exe); use --jit-cli or --cli");
            options.CliDll = options.Cli switch
            {
                CliKind.Aot => Path.Combine(options.WorkDirectory, "cli-aot", "QcowKit.Cli"),
                // The command `dotnet tool install --tool-path` makes: what a user of the tool package runs.
                CliKind.Tool => Path.Combine(options.WorkDirectory, "cli-tool", "qcowkit"),
                _ => Path.Combine(options.WorkDirectory, "cli-r2r", "QcowKit.Cli.dll"),
            };
        }
        if (options.Runs < 1) throw new ArgumentException("--runs must be at least 1");
        return options;
    }

    private static string? FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "QcowKit.sln"))) return directory.FullName;
        }
        return null;
    }
}

/// <summary>How the measured CLI is built.</summary>
internal enum CliKind
{
    /// <summary>The portable build next to this exe (or <c>--cli</c>), run with <c>dotnet</c>.</summary>
    Jit,

    /// <summary>Published ReadyToRun for linux-x64, run with <c>dotnet</c>.</summary>
    ReadyToRun,

    /// <summary>Published NativeAOT for linux-x64: a native executable, no runtime start-up.</summary>
    Aot,

    /// <summary>
    /// The tool package as users install it: build.cs's ToolPack target packs it, <c>dotnet tool install --tool-path</c>
    /// installs it (the linux-x64 NativeAOT package on this machine), and the installed command runs directly.
    /// </summary>
    Tool,
}
