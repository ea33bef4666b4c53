using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using QcowKit.Benchmarks.Micro;

namespace QcowKit.Benchmarks;

/// <summary><c>micro</c>: BenchmarkDotNet over the engine's hot paths, in process (no generated project to build).</summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "qcowkit-bench", "BenchmarkDotNet.Artifacts"));
        var summaries = BenchmarkSwitcher
            .FromTypes([typeof(ClusterCodecBenchmarks), typeof(ImageBenchmarks)])
            .Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
