using System.Reflection;
using Cake.Core;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit.Build.Tasks;

namespace QcowKit.Build;

/// <summary>Entry point that build.cs calls: hosts Cake's engine and runs the requested target.</summary>
public static class BuildPipeline
{
    /// <summary>Every task of the pipeline, one class each; Frosting finds them by reflection, we list them.</summary>
    private static readonly Type[] TaskTypes =
    [
        typeof(CleanTask), typeof(RestoreTask), typeof(BuildTask), typeof(TestTask),
        typeof(FixturesTask), typeof(PackTask), typeof(ToolPackTask), typeof(DefaultTask),
    ];

    /// <summary>
    /// Runs the pipeline. Arguments: <c>--target=NAME</c> (Default; repeat it for several targets), <c>--configuration=NAME</c>
    /// (Release), <c>--verbosity=quiet|minimal|normal|verbose|diagnostic</c>, <c>--description</c>
    /// lists the tasks. Returns the process exit code: 0 when the target ran, 1 otherwise.
    /// </summary>
    public static int Run(string[] args, string repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(repositoryRoot);
        ILookup<string, string> arguments;
        try
        {
            arguments = ParseArguments(args);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }
        if (!TryParseVerbosity(arguments, out var verbosity))
        {
            Console.Error.WriteLine($"Unknown verbosity '{arguments["verbosity"].Last()}': use quiet, minimal, normal, verbose or diagnostic.");
            return 1;
        }

        var host = CakeHost.Create(repositoryRoot, arguments, verbosity);
        var context = new BuildContext(host.Context, new DirectoryPath(repositoryRoot));
        var engine = new CakeEngine(host.Data, host.Log);
        foreach (var type in TaskTypes)
        {
            Register(engine, context, type);
        }

        if (arguments.Contains("description"))
        {
            foreach (var task in engine.Tasks)
            {
                Console.WriteLine($"{task.Name,-10} {task.Description}");
            }
            return 0;
        }

        // Several --target arguments run several targets in one dependency graph, as the Cake runner does.
        string[] targets = arguments.Contains("target") ? [.. arguments["target"]] : [DefaultTask.Name];
        host.Log.Information("QcowKit pipeline: target {0}, configuration {1}, repository {2}", string.Join(", ", targets), context.Configuration, repositoryRoot);
        var printer = new CakeReportPrinter(host.Console, host.Context);
        CakeReport report;
        try
        {
            report = engine.RunTargetAsync(host.Context, new DefaultExecutionStrategy(host.Log, printer),
                new ExecutionSettings().SetTargets(targets).UseUnifiedDependencyGraphForMultipleTargets(true)).GetAwaiter().GetResult();
        }
        catch (CakeReportException ex)
        {
            // A task threw: the engine has logged "An error occurred when executing task 'X'" and
            // hands over the report so far, whose failed entry names the task.
            if (ex.Report is not null)
            {
                printer.Write(ex.Report);
            }
            var failed = ex.Report?.FirstOrDefault(entry => entry.ExecutionStatus == CakeTaskExecutionStatus.Failed)?.TaskName ?? "(unknown)";
            host.Log.Error("Task {0} failed: {1}", failed, (ex.InnerException ?? ex).Message);
            return 1;
        }
        catch (CakeException ex)
        {
            // Raised before any task runs, e.g. an unknown target or a dependency cycle.
            host.Log.Error("Pipeline failed: {0}", ex.Message);
            return 1;
        }
        printer.Write(report);
        return 0;
    }

    private static void Register(CakeEngine engine, BuildContext context, Type type)
    {
        var name = NameOf(type);
        var task = (PipelineTask)Activator.CreateInstance(type)!;
        var builder = engine.RegisterTask(name);
        var description = type.GetCustomAttribute<TaskDescriptionAttribute>();
        if (description is not null)
        {
            builder.Description(description.Description);
        }
        foreach (var dependency in type.GetCustomAttributes<IsDependentOnAttribute>())
        {
            builder.IsDependentOn(NameOf(dependency.Task));
        }
        builder.WithCriteria(_ => task.ShouldRun(context), $"{name} does not apply to this run")
            .Does(() => task.Run(context));
    }

    private static string NameOf(Type type) =>
        type.GetCustomAttribute<TaskNameAttribute>()?.Name
        ?? throw new InvalidOperationException($"{type.Name} has no [TaskName].");

    private static bool TryParseVerbosity(ILookup<string, string> arguments, out Verbosity verbosity)
    {
        verbosity = Verbosity.Normal;
        return !arguments.Contains("verbosity") || Enum.TryParse(arguments["verbosity"].Last(), ignoreCase: true, out verbosity);
    }

    /// <summary>
    /// Cake's argument syntax, <c>--name=value</c> or a bare <c>--flag</c> (value "true"). Anything
    /// else is refused rather than ignored, so a mistyped argument cannot run the wrong target.
    /// </summary>
    internal static ILookup<string, string> ParseArguments(IReadOnlyList<string> args)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var argument in args)
        {
            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                throw new FormatException($"Unexpected argument '{argument}': use --name=value (e.g. --target=Build).");
            }
            var body = argument[2..];
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            pairs.Add(equals >= 0 ? new(body[..equals], body[(equals + 1)..]) : new(body, "true"));
        }
        return pairs.ToLookup(pair => pair.Key, pair => pair.Value, StringComparer.OrdinalIgnoreCase);
    }
}
