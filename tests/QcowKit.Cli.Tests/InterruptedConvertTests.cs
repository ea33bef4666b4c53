using System.Diagnostics;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// A real `qcowkit convert -c` process interrupted at seeded random moments: SIGINT cancels it cleanly (no file
/// left), SIGKILL leaves at most a file whose name says it is incomplete; a pre-existing destination keeps its bytes.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class InterruptedConvertTests
{
    private const string OldBytes = "the destination's old bytes";

    [TestCase("INT")]
    [TestCase("KILL")]
    public void An_interrupted_compressed_convert_leaves_the_destination_as_it_was(string signal)
    {
        var seed = Environment.TickCount;
        TestContext.Out.WriteLine($"seed {seed}");
        var random = new Random(seed);
        using var temp = new TempDirectory("interrupt");
        var source = temp.File("source.raw");
        var data = new byte[256 << 20];
        random.NextBytes(data);
        for (var i = 0; i < data.Length; i++) data[i] = (byte)('a' + (data[i] & 15)); // compressible, but costly to compress
        File.WriteAllBytes(source, data);
        for (var round = 0; round < 3; round++)
        {
            var destination = temp.File($"out{round}.qcow2");
            var existed = round % 2 == 0;
            if (existed) File.WriteAllText(destination, OldBytes);
            var dll = Path.Combine(AppContext.BaseDirectory, "QcowKit.Cli.dll");
            using var process = Process.Start(new ProcessStartInfo("dotnet") { ArgumentList = { dll, "convert", "-f", "raw", "-O", "qcow2", "-c", source, destination }, RedirectStandardError = true })!;
            var delay = random.Next(250, 1000);
            TestContext.Out.WriteLine($"round {round}: SIG{signal} after {delay} ms");
            var exitedEarly = process.WaitForExit(delay);
            if (!exitedEarly)
            {
                Assert.That(ProcessRunner.Run("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode, Is.Zero);
            }
            Assert.That(process.WaitForExit(60_000), Is.True, "the process ends after the signal");
            var leftovers = Directory.GetFiles(temp.Path, $".out{round}.qcow2*").Select(Path.GetFileName).ToList();
            if (exitedEarly)
            {
                Assert.Fail($"the convert finished before the signal ({delay} ms, exit {process.ExitCode}: {process.StandardError.ReadToEnd()}); seed {seed}");
            }
            if (process.ExitCode == 0)
            {
                // The signal came after the output was complete and named: all of it, never a part.
                Assert.That(leftovers, Is.Empty, $"seed {seed}");
                Assert.That(Qemu.Img("compare", "-f", "raw", "-F", "qcow2", source, destination).ExitCode, Is.Zero, $"a finished convert is whole; seed {seed}");
                continue;
            }
            if (signal == "INT")
            {
                Assert.That(leftovers, Is.Empty, $"SIGINT removes the temporary file; seed {seed}");
            }
            else
            {
                Assert.That(leftovers, Has.All.Contains(".qcowkit-incomplete-"), $"seed {seed}");
                foreach (var leftover in leftovers) File.Delete(Path.Combine(temp.Path, leftover!));
            }
            if (existed)
            {
                Assert.That(File.ReadAllText(destination), Is.EqualTo(OldBytes), $"seed {seed}");
            }
            else
            {
                Assert.That(File.Exists(destination), Is.False, $"seed {seed}");
            }
        }
    }
}
