namespace QcowKit.Benchmarks.Micro;

/// <summary>Real, compressible bytes for micro-benchmarks: the start of the largest shared library found.</summary>
internal static class SampleData
{
    private static readonly string[] Folders = ["/usr/lib/x86_64-linux-gnu", "/usr/lib", "/usr/share"];

    public static void Fill(byte[] destination)
    {
        var candidate = Folders
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            .Select(f => new FileInfo(f))
            .Where(f => f.Length >= destination.Length)
            .OrderByDescending(f => f.Length)
            .FirstOrDefault() ?? throw new InvalidOperationException("no system file large enough for sample data");
        using var stream = candidate.OpenRead();
        stream.Seek(candidate.Length / 2, SeekOrigin.Begin);
        stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
    }
}
