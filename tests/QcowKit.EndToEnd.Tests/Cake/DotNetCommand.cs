using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.Cake;

/// <summary>Runs the `dotnet` that runs the tests, with the MSBuild variables of the test host removed.</summary>
internal static class DotNetCommand
{
    /// <summary>
    /// Variables `dotnet test` sets for its own MSBuild node; inherited by a child `dotnet`, they
    /// point it at the parent's MSBuild instead of letting it find its own.
    /// </summary>
    private static readonly string[] HostVariables =
        ["MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly"];

    public static string Executable =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static ProcessResult Run(string workingDirectory, TimeSpan timeout, params string[] arguments) =>
        Run(workingDirectory, timeout, new Dictionary<string, string?>(), arguments);

    /// <summary>As <see cref="Run(string, TimeSpan, string[])"/>, with <paramref name="variables"/> set (null: unset) last.</summary>
    public static ProcessResult Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string?> variables, params string[] arguments)
    {
        var environment = HostVariables.ToDictionary(name => name, _ => (string?)null);
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        // Plain text output so that assertions can search it.
        environment["NO_COLOR"] = "1";
        foreach (var (name, value) in variables)
        {
            environment[name] = value;
        }
        return ProcessRunner.Run(Executable, arguments, workingDirectory, timeout, environment);
    }
}
