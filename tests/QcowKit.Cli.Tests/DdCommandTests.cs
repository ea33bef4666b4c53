using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// <c>qcowkit dd</c> side by side with <c>qemu-img dd</c> 7.2: each layout is built with qemu-img and qemu-io, copied
/// twice and copied from once by each tool; exit codes, messages (every line), and the output (raw: every byte;
/// qcow2: virtual size, guest bytes, a clean <c>qemu-img check</c>) must agree.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class DdCommandTests
{
    private static readonly string[][] Qcow2 =
    [
        ["create", "-q", "-f", "qcow2", "in", "1M"],
        QemuLayout.Io("in", "write -P 7 0 300k", "write -P 9 900k 10k", "write -z 100k 8k"),
    ];

    private static readonly string[][] Chain =
    [
        ["create", "-q", "-f", "qcow2", "base", "2M"],
        QemuLayout.Io("base", "write -P 1 0 2M"),
        ["create", "-q", "-f", "qcow2", "-b", "base", "-F", "qcow2", "in", "2M"],
        QemuLayout.Io("in", "write -P 2 64k 4k", "write -z 1M 64k"),
    ];

    private static readonly string[][] Raw1000 = [["create", "-q", "-f", "raw", "in.raw", "1000"], QemuLayout.Io("in.raw", "write -P 5 0 1000")];

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("whole qcow2 to raw", Qcow2, "if=in", "of=out");
        yield return Case("whole qcow2 to qcow2", Qcow2, "-O", "qcow2", "if=in", "of=out");
        yield return Case("bs=4k count=10 skip=3", Qcow2, "-O", "qcow2", "bs=4k", "count=10", "skip=3", "if=in", "of=out");
        yield return Case("bs=64k count=4", Qcow2, "bs=64k", "count=4", "if=in", "of=out");
        yield return Case("count larger than the input", Qcow2, "count=1M", "if=in", "of=out");
        yield return Case("count=0", Qcow2, "count=0", "if=in", "of=out");
        yield return Case("skip=2000", Qcow2, "skip=2000", "if=in", "of=out");
        yield return Case("skip to the end", Qcow2, "bs=1k", "skip=1k", "if=in", "of=out");
        yield return Case("skip past the end", Qcow2, "bs=1k", "count=1k", "skip=1M", "if=in", "of=out");
        yield return Case("skip that overflows", Qcow2, "bs=1M", "skip=8E", "if=in", "of=out");
        yield return Case("bs=1.5k", Qcow2, "bs=1.5k", "if=in", "of=out");
        yield return Case("bs=3000 count=7 skip=1 to qcow2", Qcow2, "-O", "qcow2", "bs=3000", "count=7", "skip=1", "if=in", "of=out");
        yield return Case("later operands win", Qcow2, "bs=1k", "bs=4k", "count=3", "if=none", "if=in", "of=out");
        yield return Case("backing chain", Chain, "-O", "qcow2", "bs=64k", "skip=1", "if=in", "of=out");
        yield return Case("qcow2 read as raw", Qcow2, "-f", "raw", "if=in", "of=out");
        yield return Case("raw 1000 bytes", Raw1000, "if=in.raw", "of=out");
        yield return Case("raw 1000 bytes to qcow2", Raw1000, "-f", "raw", "-O", "qcow2", "bs=100", "skip=2", "if=in.raw", "of=out");
        yield return Case("existing output replaced", [.. Qcow2, ["create", "-q", "-f", "raw", "out", "5M"]], "bs=4k", "count=2", "if=in", "of=out");
        foreach (var bs in new[] { "0", "3G", "2147483648", "x", "-1", "1Q", "" })
        {
            yield return Case($"bs={bs}", Qcow2, $"bs={bs}", "if=in", "of=out");
        }
        foreach (var operand in new[] { "count=-1", "count=x", "skip=99999999999999999999", "skip=y", "foo=1", "junk", "=1", "IF=in" })
        {
            yield return Case(operand, Qcow2, operand, "if=in", "of=out");
        }
        yield return Case("first bad operand wins", Qcow2, "bs=0", "count=x", "if=in", "of=out");
        yield return Case("bad operand before missing of", Qcow2, "skip=x", "if=in");
        yield return Case("no of", Qcow2, "if=in");
        yield return Case("no if", Qcow2, "of=out");
        yield return Case("nothing", Qcow2);
        yield return Case("missing input", Qcow2, "if=none", "of=out");
        yield return Case("unknown output format", Qcow2, "-O", "foo", "if=in", "of=out");
        yield return Case("unknown output format, missing input", Qcow2, "-O", "foo", "if=none", "of=out");
        yield return Case("unknown input format", Qcow2, "-f", "foo", "if=in", "of=out");
        yield return Case("output folder missing", Qcow2, "if=in", "of=nodir/out");

        static TestCaseData Case(string name, string[][] layout, params string[] arguments) =>
            new TestCaseData(layout, arguments).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Cases))]
    public void Dd_agrees_with_qemu_img_dd(string[][] layout, string[] arguments)
    {
        using var temp = new TempDirectory("dd");
        var original = Directory.CreateDirectory(temp.File("original")).FullName;
        QemuLayout.Build(original, layout);
        var theirs = QemuLayout.Copy(original, temp.File("qemu"));
        var ours = QemuLayout.Copy(original, temp.File("qcowkit"));

        var qemu = ProcessRunner.Run(Qemu.ImgPath, ["dd", .. InFolder(arguments, theirs)], theirs);
        var qcowkit = Cli.Run(["dd", .. InFolder(arguments, ours)]);

        Assert.That(qcowkit.ExitCode, Is.EqualTo(qemu.ExitCode), () => $"qemu-img: {qemu.Describe()}\nqcowkit: {qcowkit.Describe()}");
        var expected = Messages(qemu.StandardError, theirs);
        var actual = Messages(qcowkit.StandardError, ours);
        Assert.That(actual, Has.Length.EqualTo(expected.Length), () => $"qemu-img: {qemu.Describe()}\nqcowkit: {qcowkit.Describe()}");
        for (var line = 0; line < expected.Length; line++)
        {
            // Where qemu names how it opened or created a file, the reason after the last ": " (qcowkit says "FILE: REASON").
            Assert.That(actual[line], expected[line].StartsWith("Could not open", StringComparison.Ordinal) || expected[line].Contains("error while creating", StringComparison.Ordinal)
                ? Does.EndWith(": " + Tail(expected[line]))
                : Is.EqualTo(expected[line]), qcowkit.Describe);
        }
        Assert.That(qcowkit.StandardOutput, Is.EqualTo(qemu.StandardOutput));
        var qemuOut = Path.Combine(theirs, "out");
        var ourOut = Path.Combine(ours, "out");
        Assert.That(File.Exists(ourOut), Is.EqualTo(File.Exists(qemuOut)), "an output exists");
        if (!File.Exists(qemuOut))
        {
            return;
        }
        if (!arguments.Contains("qcow2"))
        {
            Assert.That(new FileInfo(ourOut).Length, Is.EqualTo(new FileInfo(qemuOut).Length), "raw output length");
            Assert.That(Hashing.Sha256OfFile(ourOut), Is.EqualTo(Hashing.Sha256OfFile(qemuOut)), "raw output bytes");
            return;
        }
        Assert.That(Qemu.Info(ourOut)["virtual-size"]!.GetValue<long>(), Is.EqualTo(Qemu.Info(qemuOut)["virtual-size"]!.GetValue<long>()), "virtual size");
        var check = Qemu.Img("check", ourOut);
        Assert.That(check.ExitCode, Is.Zero, check.Describe);
        Assert.That(Qemu.Img("compare", "-f", "qcow2", "-F", "qcow2", ourOut, qemuOut).ExitCode, Is.Zero, "guest bytes");
    }

    [Test]
    public void An_output_that_is_the_input_is_refused_and_the_input_kept()
    {
        using var temp = new TempDirectory("dd");
        var folder = Directory.CreateDirectory(temp.File("layout")).FullName;
        QemuLayout.Build(folder, Qcow2);
        var input = Path.Combine(folder, "in");
        var before = Hashing.Sha256OfFile(input);
        var qcowkit = Cli.Run("dd", "-O", "qcow2", $"if={input}", $"of={input}");
        Assert.That(qcowkit.ExitCode, Is.EqualTo(1), qcowkit.Describe);
        Assert.That(Hashing.Sha256OfFile(input), Is.EqualTo(before));
        Assert.That(qcowkit.StandardError, Does.Contain("the source image"));
    }

    private static string[] InFolder(string[] arguments, string folder) =>
    [
        .. arguments.Select(a => a.StartsWith("if=", StringComparison.Ordinal) || a.StartsWith("of=", StringComparison.Ordinal)
            ? a[..3] + (a.Length > 3 ? Path.Combine(folder, a[3..]) : "")
            : a),
    ];

    private static string Tail(string message) => message[(message.LastIndexOf(": ", StringComparison.Ordinal) + 2)..];

    /// <summary>Every stderr line without the tool's prefix, with the copy's folder as DIR, minus qemu's raw-probing warning; trailing blanks dropped (an error line is trimmed).</summary>
    private static string[] Messages(string standardError, string folder) =>
    [
        .. standardError.Replace(folder, "DIR", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith("WARNING: Image format was not specified", StringComparison.Ordinal) && !line.StartsWith("         ", StringComparison.Ordinal))
            .Select(line => line.Replace("qemu-img: ", "", StringComparison.Ordinal).Replace("qcowkit: error: ", "", StringComparison.Ordinal).TrimEnd()),
    ];
}
