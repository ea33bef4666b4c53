using System.Globalization;

namespace QcowKit.Benchmarks;

/// <summary>
/// <c>compare</c>: qemu-img (or qemu-io) and QcowKit as whole processes on the same files, runs
/// interleaved (qemu first on even runs, QcowKit first on odd ones) so load changes on a shared
/// machine hit both sides alike; time from process start to exit, peak RSS from time(1).
/// </summary>
internal static class WholeProcessSuite
{
    public static int Run(string[] args)
    {
        SuiteOptions options;
        try
        {
            options = SuiteOptions.Parse(args);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine($"compare: {ex.Message}");
            return 2;
        }
        if (options.PublishCliProject is null && !File.Exists(options.CliDll))
        {
            Console.Error.WriteLine($"compare: {options.CliDll} not found (build benchmarks/QcowKit.Benchmarks, which references the CLI, or pass --cli)");
            return 2;
        }
        static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");
        var machine = MachineInfo.Capture();
        Log($"{options.Mode} suite, {options.Runs} run(s) per side, data {options.DataBytes >> 20} MiB, build {MachineInfo.BuildConfiguration}, CLI {options.CliBuild}, load {machine.LoadAverage}");
        // Inputs first: making a new data set clears the work folder, where the published CLI goes.
        var data = DataSet.Prepare(options, Log);
        if (options.PublishCliProject is { } project)
        {
            var folder = Path.GetDirectoryName(options.CliDll)!;
            if (options.Cli == CliKind.Tool)
            {
                InstallTool(project, folder, Log);
            }
            else if (options.Cli == CliKind.Aot)
            {
                // A native executable: no runtime to start, nothing left to JIT. clang is often only installed
                // versioned (clang-14), so the linker is the first clang found on PATH.
                Log($"publishing {project} NativeAOT for linux-x64 into {folder}");
                ChildProcess.Check("dotnet", ["publish", project, "-c", MachineInfo.BuildConfiguration, "-r", "linux-x64",
                    "-p:PublishAot=true", .. NativeLinker(), "-o", folder, "-nologo", "-v", "q"]);
            }
            else
            {
                // What users get from `dotnet publish -r linux-x64` (ReadyToRun is on for RID-specific publishes in
                // the CLI's csproj): the start-up cost of a short command is mostly JIT otherwise.
                Log($"publishing {project} ReadyToRun for linux-x64 into {folder}");
                ChildProcess.Check("dotnet", "publish", project, "-c", MachineInfo.BuildConfiguration, "-r", "linux-x64", "--self-contained", "false",
                    "-p:PublishReadyToRun=true", "-o", folder, "-nologo", "-v", "q");
            }
        }
        var rows = new RowCatalog(options, data).Build(Log).Where(r => options.Rows.Count == 0 || options.Rows.Contains(r.Id)).ToList();
        var results = new List<RowResult>();
        foreach (var row in rows)
        {
            Log($"{row.Id}: {row.Title}");
            results.Add(Measure(row, options.Runs));
        }
        machine = machine with { LoadAverageAfter = MachineInfo.Capture().LoadAverage };
        var report = new SuiteReport(options, machine, results);
        Console.WriteLine(report.Table());
        Directory.CreateDirectory(options.OutputDirectory);
        var name = options.Rows.Count == 0 ? $"compare-{options.Mode}" : $"compare-{options.Mode}-rows";
        var jsonPath = Path.Combine(options.OutputDirectory, $"{name}.json");
        var markdownPath = Path.Combine(options.OutputDirectory, $"{name}.md");
        File.WriteAllText(jsonPath, report.Json());
        File.WriteAllText(markdownPath, report.Markdown());
        Log($"wrote {jsonPath} and {markdownPath}");
        return results.Any(r => r.Status == "failed") ? 1 : 0;
    }

    /// <summary>
    /// Packs the tool with build.cs's ToolPack target into a folder beside <paramref name="folder"/> and installs it there
    /// with <c>dotnet tool install --tool-path</c>, as the README tells users to. A nuget.config with no sources and a
    /// private package cache keep the install offline and keep an older package of the same version out.
    /// </summary>
    private static void InstallTool(string project, string folder, Action<string> log)
    {
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, "..", ".."));
        var work = Path.GetDirectoryName(folder)!;
        var feed = Path.Combine(work, "tool-feed");
        var cache = Path.Combine(work, "tool-nuget");
        var config = Path.Combine(work, "tool-install");
        foreach (var stale in new[] { folder, cache, config })
        {
            if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
        }
        Directory.CreateDirectory(config);
        File.WriteAllText(Path.Combine(config, "nuget.config"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><clear /></packageSources></configuration>\n");
        log($"packing the tool (dotnet run build.cs -- --target=ToolPack) into {feed}");
        ChildProcess.CheckIn(root, null, "dotnet", "run", Path.Combine(root, "build.cs"), "--", "--target=ToolPack", $"--packages={feed}",
            $"--configuration={MachineInfo.BuildConfiguration}");
        log($"dotnet tool install --tool-path {folder} --add-source {feed} QcowKit.Cli");
        ChildProcess.CheckIn(config, new Dictionary<string, string> { ["NUGET_PACKAGES"] = cache },
            "dotnet", "tool", "install", "--tool-path", folder, "--add-source", feed, "QcowKit.Cli");
    }

    /// <summary><c>-p:CppCompilerAndLinker=</c> for the first clang on PATH when there is no plain <c>clang</c>.</summary>
    private static string[] NativeLinker()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (path.Any(d => File.Exists(Path.Combine(d, "clang")))) return [];
        var versioned = path.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "clang-*"))
            .Select(Path.GetFileName)
            .Where(n => n is not null && int.TryParse(n.AsSpan("clang-".Length), out _))
            .OrderByDescending(n => int.Parse(n!.AsSpan("clang-".Length), CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return versioned is null ? [] : [$"-p:CppCompilerAndLinker={versioned}"];
    }

    private static RowResult Measure(SuiteRow row, int runs)
    {
        var qemu = new SideResult();
        var ours = row.Ours is null ? null : new SideResult();
        if (row.NotAvailable is not null)
        {
            // Nothing to compare against: timing qemu alone would only slow the suite down.
            return new RowResult(row, qemu, ours);
        }
        for (var run = 0; run < runs; run++)
        {
            var order = run % 2 == 0 ? new[] { (row.Qemu, qemu), (row.Ours, ours) } : [(row.Ours, ours), (row.Qemu, qemu)];
            foreach (var (side, result) in order)
            {
                if (side is null || result is null || result.Error is not null) continue;
                RunSide(row, side, result);
                if (ReferenceEquals(result, ours) && result.Error is null && result.Seconds.Count == 1) Verify(row, result);
            }
        }
        foreach (var output in row.Outputs) File.Delete(output);
        return new RowResult(row, qemu, ours);
    }

    private static void RunSide(SuiteRow row, SideCommands side, SideResult result)
    {
        foreach (var output in row.Outputs) File.Delete(output);
        // Neither side fsyncs its output, so without this the previous run's dirty pages are written back
        // during (and charged to) the next run. Untimed.
        ChildProcess.Run(new CommandLine("sync", []));
        var seconds = 0.0;
        var cpu = 0.0;
        foreach (var command in side.Commands)
        {
            var child = ChildProcess.Measure(command);
            cpu += child.CpuSeconds;
            if (child.ExitCode != 0)
            {
                result.Error = $"'{command}' exited with {child.ExitCode}: {Tail(child.StandardError + child.StandardOutput)}";
                Console.Error.WriteLine($"  {side.Tool}: {result.Error}");
                return;
            }
            seconds += child.Seconds;
            result.MaxRssKiB = Math.Max(result.MaxRssKiB, child.MaxRssKiB);
        }
        result.Seconds.Add(seconds);
        result.CpuSeconds.Add(cpu);
        Console.Error.WriteLine($"  {side.Tool,-9} {seconds,8:F3} s  cpu {cpu,7:F2} s  {result.MaxRssKiB / 1024.0,7:F1} MiB");
    }

    private static void Verify(SuiteRow row, SideResult result)
    {
        foreach (var command in row.Verify ?? [])
        {
            var child = ChildProcess.Run(command);
            if (child.ExitCode != 0)
            {
                result.Error = $"output failed '{command}' (exit {child.ExitCode}): {Tail(child.StandardOutput + child.StandardError)}";
                Console.Error.WriteLine($"  {result.Error}");
                return;
            }
        }
        if (row.Verify is { Count: > 0 }) Console.Error.WriteLine($"  verified: {string.Join("; ", row.Verify)}");
    }

    private static string Tail(string text)
    {
        var trimmed = text.Trim().ReplaceLineEndings(" ");
        return trimmed.Length <= 300 ? trimmed : trimmed[^300..];
    }
}
