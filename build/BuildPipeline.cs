namespace QcowKit.Build;

/// <summary>Entry point that build.cs calls.</summary>
public static class BuildPipeline
{
    public static int Run(string[] args, string repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(args);
        Console.WriteLine($"QcowKit pipeline in {repositoryRoot}");
        return 0;
    }
}
