using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>Runs qcowkit in-process with captured output, or as a real process when the working directory matters.</summary>
internal static class Cli
{
    public static ProcessResult Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = CliApplication.Run(args, output, error);
        return new ProcessResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>`dotnet QcowKit.Cli.dll args` in <paramref name="workingDirectory"/>.</summary>
    public static ProcessResult RunProcess(string workingDirectory, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "QcowKit.Cli.dll");
        return ProcessRunner.Run("dotnet", [dll, .. args], workingDirectory, TimeSpan.FromMinutes(2));
    }

    /// <summary>Runs qemu-img without checking its exit code.</summary>
    public static ProcessResult Qemu(params string[] args) => TestSupport.Qemu.Img(args);
}
