using System.Globalization;
using QcowKit.Check;
using QcowKit.Create;
using QcowKit.Image;

namespace QcowKit.Benchmarks;

/// <summary>
/// Engine operations run as their own process by the whole-process suite, for rows the CLI has no
/// verb for (check and create before the CLI grows them; random reads, which qemu-img has no verb for
/// either and qemu-io does with one <c>read</c> command per offset).
/// </summary>
internal static class EngineCommands
{
    public const int RandomReadSize = 4096;

    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("engine: expected check IMAGE | create-check IMAGE SIZE | randread IMAGE OFFSETS_FILE");
            return 2;
        }
        return args[0] switch
        {
            "check" => Check(args[1]),
            "create-check" when args.Length == 3 => CreateAndCheck(args[1], args[2]),
            "randread" when args.Length == 3 => RandomReads(args[1], args[2]),
            _ => Fail($"engine: unknown command line '{string.Join(' ', args)}'"),
        };
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }

    /// <summary>qemu-img check's exit codes: 0 clean, 2 corruptions, 3 leaks only.</summary>
    private static int Check(string path)
    {
        var result = QcowChecker.Check(path);
        Console.WriteLine($"{result.AllocatedClusters}/{result.TotalClusters} allocated, {result.Corruptions} corruptions, {result.Leaks} leaks");
        return result.Corruptions > 0 || result.CheckErrors > 0 ? 2 : result.Leaks > 0 ? 3 : 0;
    }

    /// <summary>What the QcowCreate + QcowValidate MSBuild tasks do in one build: create, then validate.</summary>
    private static int CreateAndCheck(string path, string size)
    {
        using (QcowImage.Create(path, QcowCreateOptions.Parse(null, size)))
        {
        }
        return Check(path);
    }

    private static int RandomReads(string path, string offsetsFile)
    {
        var offsets = File.ReadAllLines(offsetsFile).Select(line => long.Parse(line, CultureInfo.InvariantCulture)).ToArray();
        using var image = QcowImage.Open(path);
        Span<byte> buffer = stackalloc byte[RandomReadSize];
        ulong checksum = 0;
        foreach (var offset in offsets)
        {
            image.Read(offset, buffer);
            // Folds every read into the output so no read can be skipped.
            checksum = (checksum * 31) + buffer[(int)(offset / RandomReadSize % RandomReadSize)];
        }
        Console.WriteLine($"{offsets.Length} reads, checksum {checksum}");
        return 0;
    }
}
