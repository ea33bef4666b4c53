using QcowKit.Benchmarks;

return args.Length == 0 ? Usage() : args[0] switch
{
    "compare" => WholeProcessSuite.Run(args[1..]),
    "micro" => MicroBenchmarks.Run(args[1..]),
    "engine" => EngineCommands.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: QcowKit.Benchmarks compare [--quick] [--runs N] [--data-mib N] [--work DIR] [--out DIR] [--cli PATH | --jit-cli | --r2r-cli | --aot-cli] [--rows ID,ID]
               QcowKit.Benchmarks micro [BenchmarkDotNet arguments, e.g. --filter *Inflate*]
               QcowKit.Benchmarks engine check IMAGE | create-check IMAGE SIZE | randread IMAGE OFFSETS_FILE
        """);
    return 2;
}
