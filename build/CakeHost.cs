using Cake.Core;
using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Packaging;
using Cake.Core.Tooling;

namespace QcowKit.Build;

/// <summary>
/// Cake's runtime services wired by hand from Cake.Core's concrete types: what the Cake runner and
/// Cake.Frosting do through their DI containers (neither is served by NuGet here).
/// </summary>
public sealed class CakeHost
{
    private CakeHost(CakeContext context, IConsole console, ICakeLog log, CakeDataService data)
    {
        Context = context;
        Console = console;
        Log = log;
        Data = data;
    }

    /// <summary>The context every alias runs on.</summary>
    public CakeContext Context { get; }

    /// <summary>The console the log and the report printer write to: without colour unless on a terminal (<see cref="PlainConsole"/>).</summary>
    public IConsole Console { get; }

    /// <summary>The build log.</summary>
    public ICakeLog Log { get; }

    /// <summary>The engine's typed data store.</summary>
    public CakeDataService Data { get; }

    /// <summary>Creates the services for a run in <paramref name="workingDirectory"/>.</summary>
    public static CakeHost Create(string workingDirectory, ILookup<string, string> arguments, Verbosity verbosity)
    {
        var environment = new CakeEnvironment(new CakePlatform(), new CakeRuntime())
        {
            WorkingDirectory = new DirectoryPath(workingDirectory),
        };
        var console = new PlainConsole(new CakeConsole(environment), PlainConsole.ColorAllowedHere());
        var log = new CakeBuildLog(console, verbosity);
        var fileSystem = new FileSystem();
        var globber = new Globber(fileSystem, environment);
        var configuration = new CakeConfiguration(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));
        var toolRepository = new ToolRepository(environment);
        var strategy = new ToolResolutionStrategy(fileSystem, environment, globber, configuration, log);
        var toolLocator = new ToolLocator(environment, toolRepository, strategy);
        var processRunner = new ProcessRunner(fileSystem, environment, log, toolLocator, configuration);
        var toolInstaller = new ToolInstaller(environment, toolLocator, configuration, log, Array.Empty<IPackageInstaller>());
        var data = new CakeDataService();
        var context = new CakeContext(fileSystem, environment, globber, log, new CakeArguments(arguments), processRunner,
            new WindowsRegistry(), toolLocator, data, configuration, toolInstaller, new EmptyServiceProvider());
        return new CakeHost(context, console, log, data);
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
