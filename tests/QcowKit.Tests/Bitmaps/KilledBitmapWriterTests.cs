using System.Diagnostics;
using QcowKit.TestSupport;
using static QcowKit.Tests.Writing.WriteTestSupport;

namespace QcowKit.Tests.Bitmaps;

/// <summary>
/// A writer killed while an image with persistent bitmaps is open: the enabled bitmap must be left in_use
/// (qemu then treats it as inconsistent) rather than stored without the writes it missed.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class KilledBitmapWriterTests
{
    /// <summary>Runs tests/QcowKit.CrashWorkload on the image (seeded random writes, zeroes, discards, compressed writes) and kills it after its first flush.</summary>
    private static void RunAndKill(string image)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "QcowKit.CrashWorkload.dll"), image, "7", "1000000", "8" })
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        using var flushed = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("flushed ", StringComparison.Ordinal) == true) flushed.Set();
        };
        var stderr = process.StandardError.ReadToEndAsync();
        process.BeginOutputReadLine();
        try
        {
            Assert.That(flushed.Wait(TimeSpan.FromSeconds(60)), Is.True, () => $"the workload never reported a flush: {stderr.Result}");
            Thread.Sleep(200);
            Assert.That(process.HasExited, Is.False, "the workload must still be writing when it is killed");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    [Test]
    public void A_killed_writer_leaves_the_enabled_bitmap_in_use_and_the_image_at_worst_leaking()
    {
        using var temp = new TempDirectory("bitmap-kill");
        var image = temp.File("killed.qcow2");
        Qemu.CreateQcow2(image, "1M", "cluster_size=4096");
        Qemu.ImgOk("bitmap", "--add", image, "tracked");
        Qemu.ImgOk("bitmap", "--add", "--disable", image, "frozen");
        var frozenBefore = BitmapContents.Read(image).Single(b => b.Name == "frozen").ToString();

        RunAndKill(image);

        var flags = Qemu.Info(image)["format-specific"]!["data"]!["bitmaps"]!.AsArray()
            .ToDictionary(b => b!["name"]!.GetValue<string>(), b => b!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToArray());
        Assert.That(flags["tracked"], Is.EqualTo(new[] { "in-use", "auto" }));
        Assert.That(flags["frozen"], Is.Empty);
        Assert.That(BitmapContents.Read(image).Single(b => b.Name == "frozen").ToString(), Is.EqualTo(frozenBefore), "a disabled bitmap is not touched");
        var (exitCode, _, raw) = Qemu.Check(image);
        Assert.That(exitCode, Is.EqualTo(0).Or.EqualTo(3), raw.Describe);
        var resize = Qemu.Img("resize", image, "+1M");
        Assert.That(resize.StandardError, Does.Contain("Bitmap 'tracked' is inconsistent and cannot be used"), resize.Describe);

        // Writing on afterwards leaves the inconsistent bitmap as qemu would: in use, untouched.
        var tracked = BitmapContents.Read(image).Single(b => b.Name == "tracked").ToString();
        using (var writer = OpenWritable(image))
        {
            writer.Write(0, new byte[4096]);
        }
        Assert.That(BitmapContents.Read(image).Single(b => b.Name == "tracked").ToString(), Is.EqualTo(tracked));
        Assert.That(Qemu.Check(image).ExitCode, Is.EqualTo(0).Or.EqualTo(3));
    }
}
