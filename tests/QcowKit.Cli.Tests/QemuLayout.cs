using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// Image layouts built with the reference tools: each step is qemu-img arguments, or <c>io</c>, an image and
/// qemu-io commands (format raw for *.raw). Side-by-side tests build one, copy it for each tool and compare.
/// </summary>
internal static class QemuLayout
{
    public static string[] Io(string image, params string[] commands) => ["io", image, .. commands];

    /// <summary>Runs every step in <paramref name="folder"/> (which gets a sub/ folder first); fails the test on any failure.</summary>
    public static void Build(string folder, IEnumerable<string[]> steps)
    {
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        foreach (var step in steps)
        {
            var result = step[0] == "io"
                ? ProcessRunner.Run(Qemu.IoPath, ["-f", step[1].EndsWith(".raw", StringComparison.Ordinal) ? "raw" : "qcow2", .. step[2..].SelectMany(c => new[] { "-c", c }), step[1]], folder)
                : ProcessRunner.Run(Qemu.ImgPath, step, folder);
            Assert.That(result.ExitCode, Is.Zero, result.Describe);
        }
    }

    /// <summary>Copies the folder tree <paramref name="from"/> to <paramref name="to"/>; returns <paramref name="to"/>.</summary>
    public static string Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        }
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
        return to;
    }
}
