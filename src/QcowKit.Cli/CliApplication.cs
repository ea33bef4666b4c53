namespace QcowKit.Cli;

/// <summary>The `qcowkit` command line.</summary>
internal static class CliApplication
{
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Console.Error.WriteLine("qcowkit: no commands yet");
        return 1;
    }
}
