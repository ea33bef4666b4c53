using Cake.Core;
using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Packaging;
using Cake.Core.Tooling;

namespace Cake.QcowKit.Tests;

/// <summary>
/// A real Cake context assembled from Cake.Core's own types, as the Cake runner and Frosting build
/// it; only the console is replaced, so that a test can read what the aliases logged. Cake's
/// environment sets the process's current directory to its working directory, as the runner
/// does; disposing puts the previous one back (dispose before deleting the folder).
/// </summary>
internal sealed class CakeTestContext : IDisposable
{
    private readonly string _previousDirectory = System.Environment.CurrentDirectory;

    public CakeTestContext(string workingDirectory, Verbosity verbosity = Verbosity.Diagnostic)
    {
        var environment = new CakeEnvironment(new CakePlatform(), new CakeRuntime())
        {
            WorkingDirectory = new DirectoryPath(workingDirectory),
        };
        Console = new RecordingConsole();
        var log = new CakeBuildLog(Console, verbosity);
        var fileSystem = new FileSystem();
        var globber = new Globber(fileSystem, environment);
        var configuration = new CakeConfiguration(new Dictionary<string, string>());
        var toolLocator = new ToolLocator(environment, new ToolRepository(environment),
            new ToolResolutionStrategy(fileSystem, environment, globber, configuration, log));
        Context = new CakeContext(fileSystem, environment, globber, log,
            new CakeArguments(Array.Empty<string>().ToLookup(key => key, key => key)),
            new ProcessRunner(fileSystem, environment, log, toolLocator, configuration),
            new WindowsRegistry(), toolLocator, new CakeDataService(), configuration,
            new ToolInstaller(environment, toolLocator, configuration, log, Array.Empty<IPackageInstaller>()),
            new EmptyServiceProvider());
    }

    public ICakeContext Context { get; }

    public RecordingConsole Console { get; }

    public void Dispose() => System.Environment.CurrentDirectory = _previousDirectory;

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>A Cake console that keeps every line instead of printing it.</summary>
internal sealed class RecordingConsole : IConsole
{
    private readonly List<string> _lines = [];
    private readonly System.Text.StringBuilder _current = new();

    public ConsoleColor ForegroundColor { get; set; }

    public ConsoleColor BackgroundColor { get; set; }

    public bool SupportAnsiEscapeCodes => false;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines, .. _current.Length > 0 ? new[] { _current.ToString() } : []];
            }
        }
    }

    public string Text => string.Join('\n', Lines);

    public void Write(string format, params object[] arg) => Append(Format(format, arg), newLine: false);

    public void Write(string value) => Append(value, newLine: false);

    public void WriteLine(string format, params object[] arg) => Append(Format(format, arg), newLine: true);

    public void WriteLine(string value) => Append(value, newLine: true);

    public void WriteError(string format, params object[] arg) => Append(Format(format, arg), newLine: false);

    public void WriteError(string value) => Append(value, newLine: false);

    public void WriteErrorLine(string format, params object[] arg) => Append(Format(format, arg), newLine: true);

    public void WriteErrorLine(string value) => Append(value, newLine: true);

    public void ResetColor()
    {
    }

    private static string Format(string format, object[] arg) =>
        arg.Length == 0 ? format : string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arg);

    private void Append(string value, bool newLine)
    {
        lock (_lines)
        {
            _current.Append(value);
            if (newLine)
            {
                _lines.Add(_current.ToString());
                _current.Clear();
            }
        }
    }
}
