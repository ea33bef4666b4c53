namespace QcowKit.TestSupport;

/// <summary>Finds the repository root (the folder with QcowKit.sln) from the test's output folder.</summary>
public static class RepoPaths
{
    public static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "QcowKit.sln")))
            {
                directory = directory.Parent;
            }
            return directory?.FullName ?? throw new InvalidOperationException($"QcowKit.sln not found above {AppContext.BaseDirectory}");
        }
    }
}
