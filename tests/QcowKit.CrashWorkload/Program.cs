using System.Globalization;
using QcowKit.CrashWorkload;
using QcowKit.Image;

// Usage: QcowKit.CrashWorkload IMAGE SEED OPERATIONS FLUSH_EVERY
// Prints "flushed N" after the flush that follows operation N (1-based), so the parent knows what is durable.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: QcowKit.CrashWorkload IMAGE SEED OPERATIONS FLUSH_EVERY");
    return 2;
}
var seed = int.Parse(args[1], CultureInfo.InvariantCulture);
var operations = int.Parse(args[2], CultureInfo.InvariantCulture);
var flushEvery = int.Parse(args[3], CultureInfo.InvariantCulture);
using var image = QcowImage.Open(args[0], new QcowOpenOptions { Access = FileAccess.ReadWrite });
var done = 0;
foreach (var operation in CrashWorkload.Generate(seed, image.VirtualSize, image.ClusterSize).Take(operations))
{
    operation.Apply(image);
    done++;
    if (done % flushEvery == 0)
    {
        image.Flush();
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flushed {done}"));
        Console.Out.Flush();
    }
}
Console.Out.WriteLine("done");
return 0;
