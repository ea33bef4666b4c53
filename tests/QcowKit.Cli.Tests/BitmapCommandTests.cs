using System.Text.RegularExpressions;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// <c>qcowkit bitmap</c> side by side with <c>qemu-img bitmap</c> 7.2: each layout is built with qemu-img and qemu-io
/// (qemu-io writes dirty the enabled bitmaps; a qemu-io killed after a write leaves them in use, inconsistent), copied
/// twice and changed once by each tool. Exit codes and messages (every line, qemu's node name read as the image path),
/// the bitmaps <c>qemu-img info</c> shows (names, granularity, flags), their stored bits, guest bytes and a clean
/// <c>qemu-img check</c> must agree, for refusals too (qemu-img keeps the operations before a refused one).
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed partial class BitmapCommandTests
{
    /// <summary>A 64 MiB image with an enabled bitmap b1 and a disabled 4 KiB one d, then writes that dirty b1 only.</summary>
    private static readonly string[][] Dirty =
    [
        ["create", "-q", "-f", "qcow2", "disk", "64M"],
        ["bitmap", "--add", "disk", "b1"],
        ["bitmap", "--add", "-g", "4k", "--disable", "disk", "d"],
        QemuLayout.Io("disk", "write -P 1 0 1M", "write -P 2 10M 64k", "write -P 3 40000k 3k"),
        ["bitmap", "--enable", "disk", "d"],
        QemuLayout.Io("disk", "write -P 4 33M 5k"),
        ["bitmap", "--disable", "disk", "d"],
    ];

    /// <summary><see cref="Dirty"/> plus a source image src (same size) with dirty bitmaps s (64 KiB) and t (512 B), and a smaller one small.</summary>
    private static readonly string[][] WithSource =
    [
        .. Dirty,
        ["create", "-q", "-f", "qcow2", "src", "64M"],
        ["bitmap", "--add", "src", "s"],
        ["bitmap", "--add", "-g", "512", "src", "t"],
        QemuLayout.Io("src", "write 20M 100k", "write 63M 1k"),
        ["create", "-q", "-f", "qcow2", "small", "32M"],
        ["bitmap", "--add", "small", "s"],
    ];

    /// <summary><see cref="Dirty"/> after a writer died: b1 and d stay in use (inconsistent); then a consistent c.</summary>
    private static readonly string[][] Inconsistent =
    [
        .. Dirty,
        ["killed-io", "disk", "write 5M 4k", "sigraise 9"],
        ["create", "-q", "-f", "qcow2", "src", "64M"],
        ["bitmap", "--add", "src", "s"],
        ["killed-io", "src", "write 0 4k", "sigraise 9"],
    ];

    private static readonly string[][] Empty = [["create", "-q", "-f", "qcow2", "disk", "64M"]];

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("add default granularity", Empty, "--add", "disk", "b0");
        foreach (var g in new[] { "512", "4k", "64k", "1M", "2G", "0", "3000", "256", "4G", "8G", "x", "-5", "1.5k" })
        {
            yield return Case($"add -g {g}", Empty, "--add", "-g", g, "disk", "b0");
        }
        yield return Case("add --disable", Empty, "--add", "--disable", "disk", "b0");
        yield return Case("add to dirty bitmaps", Dirty, "--add", "disk", "b0");
        yield return Case("add existing", Dirty, "--add", "disk", "b1");
        yield return Case("add empty name", Empty, "--add", "disk", "");
        yield return Case("add 1023-byte name", Empty, "--add", "disk", new string('n', 1023));
        yield return Case("add 1024-byte name", Empty, "--add", "disk", new string('n', 1024));
        yield return Case("remove", Dirty, "--remove", "disk", "b1");
        yield return Case("remove the last bitmap", [.. Empty, ["bitmap", "--add", "disk", "b0"]], "--remove", "disk", "b0");
        yield return Case("remove missing", Dirty, "--remove", "disk", "nope");
        yield return Case("clear", Dirty, "--clear", "disk", "b1");
        yield return Case("clear missing", Dirty, "--clear", "disk", "nope");
        yield return Case("disable", Dirty, "--disable", "disk", "b1");
        yield return Case("enable", Dirty, "--enable", "disk", "d");
        yield return Case("enable then disable", Dirty, "--enable", "--disable", "disk", "d");
        yield return Case("merge same granularity", Dirty, "--add", "--merge", "b1", "disk", "b0");
        yield return Case("merge into a finer bitmap", Dirty, "--merge", "b1", "disk", "d");
        yield return Case("merge into a coarser bitmap", Dirty, "--add", "-g", "1M", "--merge", "d", "--merge", "b1", "disk", "b0");
        yield return Case("merge missing source", Dirty, "--add", "--merge", "nope", "disk", "b0");
        yield return Case("merge into missing", Dirty, "--merge", "b1", "disk", "nope");
        yield return Case("merge from another file", WithSource, "--merge", "s", "-b", "src", "disk", "b1");
        yield return Case("merge 512 B bits from another file", WithSource, "--merge", "t", "-b", "src", "-F", "qcow2", "disk", "d");
        yield return Case("merge from another file read as raw", WithSource, "--merge", "s", "-b", "src", "-F", "raw", "disk", "b1");
        yield return Case("merge from a smaller image", WithSource, "--merge", "s", "-b", "small", "disk", "b1");
        yield return Case("merge from a missing file", WithSource, "--merge", "s", "-b", "none", "disk", "b1");
        yield return Case("several operations", Dirty, "--add", "--clear", "--merge", "b1", "--disable", "disk", "b0");
        yield return Case("several operations, one refused", Dirty, "--add", "-g", "8k", "--merge", "b1", "--remove", "--remove", "disk", "b0");
        yield return Case("no operation", Empty, "disk", "b0");
        yield return Case("no bitmap name", Empty, "--add", "disk");
        yield return Case("three names", Empty, "--add", "disk", "b0", "b1");
        yield return Case("no names and no operation", Empty);
        yield return Case("no names, -F without -b", Empty, "--add", "-F", "qcow2");
        yield return Case("granularity without add", Dirty, "--clear", "-g", "4k", "disk", "b1");
        yield return Case("-F without -b", Dirty, "--merge", "b1", "-F", "qcow2", "disk", "d");
        yield return Case("-b without merge", Dirty, "--clear", "-b", "disk", "disk", "b1");
        yield return Case("clear inconsistent", Inconsistent, "--clear", "disk", "b1");
        yield return Case("enable inconsistent", Inconsistent, "--enable", "disk", "d");
        yield return Case("merge into inconsistent", Inconsistent, "--merge", "b1", "disk", "d");
        yield return Case("merge from inconsistent", Inconsistent, "--add", "--merge", "b1", "disk", "b0");
        yield return Case("merge from inconsistent file", Inconsistent, "--add", "--merge", "s", "-b", "src", "disk", "b0");
        yield return Case("remove inconsistent", Inconsistent, "--remove", "disk", "b1");
        yield return Case("add beside inconsistent", Inconsistent, "--add", "disk", "b0");
        yield return Case("v2 image", [["create", "-q", "-f", "qcow2", "-o", "compat=0.10", "disk", "64M"]], "--add", "disk", "b0");
        yield return Case("raw image", [["create", "-q", "-f", "raw", "disk", "1M"]], "--add", "-f", "raw", "disk", "b0");
        yield return Case("raw image, remove", [["create", "-q", "-f", "raw", "disk", "1M"]], "--remove", "-f", "raw", "disk", "b0");
        yield return Case("qcow2 read as raw", Dirty, "--remove", "-f", "raw", "disk", "b1");
        yield return Case("missing image", [], "--add", "disk", "b0");
        string[][] extended = [["create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=128k", "disk", "16M"], ["bitmap", "--add", "disk", "b1"],
            QemuLayout.Io("disk", "write 100k 8k", "write 9M 1M")];
        yield return Case("extended L2 add", extended, "--add", "disk", "b0");
        yield return Case("extended L2 merge", extended, "--add", "-g", "512", "--merge", "b1", "disk", "b0");
        string[][] small = [["create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "disk", "8M"], ["bitmap", "--add", "disk", "b1"],
            QemuLayout.Io("disk", "write 1k 1k", "write 5M 70k")];
        yield return Case("512 B clusters add", small, "--add", "disk", "b0");
        yield return Case("512 B clusters merge", small, "--add", "-g", "512", "--merge", "b1", "disk", "b0");
        yield return Case("512 B clusters clear and remove", small, "--clear", "--remove", "disk", "b1");
        yield return Case("2 MiB clusters add", [["create", "-q", "-f", "qcow2", "-o", "cluster_size=2M", "disk", "64M"]], "--add", "disk", "b0");

        static TestCaseData Case(string name, string[][] layout, params string[] arguments) =>
            new TestCaseData(layout, arguments).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Cases))]
    public void Bitmap_agrees_with_qemu_img_bitmap(string[][] layout, string[] arguments)
    {
        using var temp = new TempDirectory("bitmap");
        var original = Directory.CreateDirectory(temp.File("original")).FullName;
        Build(original, layout);
        var theirs = QemuLayout.Copy(original, temp.File("qemu"));
        var ours = QemuLayout.Copy(original, temp.File("qcowkit"));
        // The image and -b's file are named relative to the copy, as the tools run there.
        var qemu = ProcessRunner.Run(Qemu.ImgPath, ["bitmap", .. InFolder(arguments, theirs)], theirs);
        var qcowkit = Cli.Run(["bitmap", .. InFolder(arguments, ours)]);

        Assert.That(qcowkit.ExitCode, Is.EqualTo(qemu.ExitCode), () => $"qemu-img: {qemu.Describe()}\nqcowkit: {qcowkit.Describe()}");
        var expected = Messages(qemu.StandardError, theirs);
        var actual = Messages(qcowkit.StandardError, ours);
        Assert.That(actual, Has.Length.EqualTo(expected.Length), () => $"qemu-img: {qemu.Describe()}\nqcowkit: {qcowkit.Describe()}");
        for (var line = 0; line < expected.Length; line++)
        {
            // Where qemu names how it opened a file ("Could not open 'F': Could not open 'F': REASON"), qcowkit says "F: REASON".
            Assert.That(actual[line], expected[line].StartsWith("Could not open", StringComparison.Ordinal)
                ? Does.EndWith(": " + Tail(expected[line]))
                : Is.EqualTo(expected[line]), qcowkit.Describe);
        }
        Assert.That(qcowkit.StandardOutput, Is.EqualTo(qemu.StandardOutput));
        var ourImage = Path.Combine(ours, "disk");
        var qemuImage = Path.Combine(theirs, "disk");
        if (!File.Exists(qemuImage) || Qemu.Info(qemuImage)["format"]!.GetValue<string>() != "qcow2")
        {
            if (File.Exists(qemuImage))
            {
                Assert.That(Hashing.Sha256OfFile(ourImage), Is.EqualTo(Hashing.Sha256OfFile(qemuImage)), "raw file bytes");
            }
            return;
        }
        Assert.That(Bitmaps(ourImage), Is.EqualTo(Bitmaps(qemuImage)), "qemu-img info bitmaps");
        Assert.That(StoredBitmapBits.Read(ourImage), Is.EqualTo(StoredBitmapBits.Read(qemuImage)), "stored bits");
        var check = Qemu.Img("check", ourImage);
        Assert.That(check.ExitCode, Is.Zero, check.Describe);
        Assert.That(Qemu.Img("compare", "-f", "qcow2", "-F", "qcow2", ourImage, qemuImage).ExitCode, Is.Zero, "guest bytes");
    }

    [Test]
    public void Stored_bits_are_what_qemu_io_dirtied()
    {
        // The content comparison above is only as good as the reader: b1 (64 KiB) saw 1 MiB at 0, 64 KiB at 10M,
        // 3 KiB at 40000k and 5 KiB at 33M; d (4 KiB) only the last write.
        using var temp = new TempDirectory("bitmap");
        var folder = Directory.CreateDirectory(temp.File("layout")).FullName;
        Build(folder, Dirty);
        var contents = StoredBitmapBits.Read(Path.Combine(folder, "disk"));
        Assert.That(contents, Has.Count.EqualTo(2));
        Assert.That(contents[0], Does.StartWith("b1=19:"));
        Assert.That(contents[1], Does.StartWith("d=2:"));
    }

    /// <summary>Layout steps, plus <c>killed-io IMAGE COMMANDS</c>: a qemu-io that dies (its exit code is ignored).</summary>
    private static void Build(string folder, string[][] layout)
    {
        Directory.CreateDirectory(folder);
        foreach (var step in layout)
        {
            if (step[0] == "killed-io")
            {
                ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", .. step[2..].SelectMany(c => new[] { "-c", c }), step[1]], folder);
                continue;
            }
            QemuLayout.Build(folder, [step]);
        }
    }

    private static string[] InFolder(string[] arguments, string folder) =>
        [.. arguments.Select((a, i) => a is "disk" or "src" or "small" or "none" && (i == 0 || arguments[i - 1] is not ("--merge" or "-g" or "-f" or "-F")) ? Path.Combine(folder, a) : a)];

    private static string Tail(string message) => message[(message.LastIndexOf(": ", StringComparison.Ordinal) + 2)..];

    private static string? Bitmaps(string image) => Qemu.Info(image)["format-specific"]?["data"]?["bitmaps"]?.ToJsonString();

    /// <summary>Every stderr line without the tool's prefix, the copy's folder as DIR, qemu's node name as the image path, minus qemu's raw-probing warning.</summary>
    private static string[] Messages(string standardError, string folder) =>
    [
        .. NodeName().Replace(standardError.Replace(folder, "DIR", StringComparison.Ordinal), "DIR/disk").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith("WARNING: Image format was not specified", StringComparison.Ordinal) && !line.StartsWith("         ", StringComparison.Ordinal))
            .Select(line => line.Replace("qemu-img: ", "", StringComparison.Ordinal).Replace("qcowkit: error: ", "", StringComparison.Ordinal)),
    ];

    [GeneratedRegex(@"#block\d+")]
    private static partial Regex NodeName();
}
