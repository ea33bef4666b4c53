namespace QcowKit.Benchmarks;

/// <summary>What the numbers were measured on; the machine may be shared, so the load is recorded too.</summary>
internal sealed record MachineInfo(int Processors, string CpuModel, long MemoryMiB, string LoadAverage, string? LoadAverageAfter)
{
#if DEBUG
    public const string BuildConfiguration = "Debug";
#else
    public const string BuildConfiguration = "Release";
#endif

    public static MachineInfo Capture()
    {
        var cpu = ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memory = ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var memoryMiB = memory is null ? -1 : long.Parse(memory.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        var load = ReadLines("/proc/loadavg").FirstOrDefault() is { } line ? string.Join(' ', line.Split(' ').Take(3)) : "unknown";
        return new MachineInfo(Environment.ProcessorCount, cpu, memoryMiB, load, null);
    }

    private static string[] ReadLines(string path) => File.Exists(path) ? File.ReadAllLines(path) : [];
}
