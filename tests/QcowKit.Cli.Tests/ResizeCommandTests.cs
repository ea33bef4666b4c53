using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// <c>qcowkit resize</c> side by side with <c>qemu-img resize</c> 7.2: each layout is built with qemu-img and qemu-io,
/// copied twice and resized once by each tool; exit codes, messages (every line), file lengths, virtual sizes and guest
/// bytes must agree, the result must pass <c>qemu-img check</c>, and a refused resize must leave the file as it was.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ResizeCommandTests
{
    private static readonly string[][] Qcow2 = [["create", "-q", "-f", "qcow2", "disk", "1M"], QemuLayout.Io("disk", "write -P 7 0 64k", "write -P 8 192k 4k")];

    private static readonly string[][] Raw1000 = [["create", "-q", "-f", "raw", "disk.raw", "1000"], QemuLayout.Io("disk.raw", "write -P 7 0 512")];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var size in new[] { "+3M", "2M", "1M", "+0", "0x200000", "1.5M", "+1.5k", "3145728", "1G", "+0.5G", "2000000", "512k", "abc", "1Q", "8E", "10P",
                     "18446744073709551615", "18446744073709551616", "+", "" })
        {
            yield return Case($"qcow2 {size}", Qcow2, "disk", size);
        }
        yield return Case("qcow2 --shrink 512k", Qcow2, "disk", "--shrink", "512k");
        yield return Case("qcow2 --shrink 256k", Qcow2, "disk", "--shrink", "256k");
        yield return Case("qcow2 --shrink 0", Qcow2, "disk", "--shrink", "0");
        yield return Case("qcow2 -f qcow2 +1M", Qcow2, "disk", "-f", "qcow2", "+1M");
        yield return Case("qcow2 read as raw +1M", Qcow2, "disk", "-f", "raw", "+1M");
        yield return Case("qcow2 unknown driver", Qcow2, "disk", "-f", "foo", "+1M");
        yield return Case("qcow2 extended L2 +5M", [["create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=128k", "disk", "3M"], QemuLayout.Io("disk", "write -P 1 100k 8k")],
            "disk", "+5M");
        yield return Case("qcow2 4k clusters past one L2 table", [["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "disk", "1M"]], "disk", "+64M");
        yield return Case("qcow2 with a larger backing file", [["create", "-q", "-f", "qcow2", "base", "8M"], QemuLayout.Io("base", "write -P 3 0 8M"),
            ["create", "-q", "-f", "qcow2", "-b", "base", "-F", "qcow2", "disk", "2M"]], "disk", "6M");
        yield return Case("v2 image with a snapshot", [["create", "-q", "-f", "qcow2", "-o", "compat=0.10", "disk", "1M"], ["snapshot", "-c", "s1", "disk"]], "disk", "+1M");
        yield return Case("v3 image with a snapshot", [["create", "-q", "-f", "qcow2", "disk", "1M"], ["snapshot", "-c", "s1", "disk"]], "disk", "+1M");
        yield return Case("a missing image", [], "disk", "+1M");
        foreach (var size in new[] { "1001", "+0", "0x1000", "+1.5k", "1.5k", "1000", "8E", "7E", "abc", "1M" })
        {
            yield return Case($"raw {size}", Raw1000, "disk.raw", size);
        }
        yield return Case("raw --shrink 1000", Raw1000, "disk.raw", "--shrink", "1000");
        yield return Case("raw --shrink 100", Raw1000, "disk.raw", "-f", "raw", "--shrink", "100");
        yield return Case("raw --shrink 0", Raw1000, "disk.raw", "--shrink", "0");
        yield return Case("raw read as qcow2", Raw1000, "disk.raw", "-f", "qcow2", "+1M");

        static TestCaseData Case(string name, string[][] layout, string image, params string[] arguments) =>
            new TestCaseData(layout, image, arguments).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Cases))]
    public void Resize_agrees_with_qemu_img_resize(string[][] layout, string image, string[] arguments)
    {
        using var temp = new TempDirectory("resize");
        var original = Directory.CreateDirectory(temp.File("original")).FullName;
        QemuLayout.Build(original, layout);
        var theirs = QemuLayout.Copy(original, temp.File("qemu"));
        var ours = QemuLayout.Copy(original, temp.File("qcowkit"));
        var qemuImage = Path.Combine(theirs, image);
        var ourImage = Path.Combine(ours, image);
        // The size goes after "--" so that qemu reads "-1k" as a size; qcowkit takes the same spelling.
        string[] command = ["resize", .. arguments[..^1], "FILE", "--", arguments[^1]];

        var qemu = ProcessRunner.Run(Qemu.ImgPath, [.. command.Select(a => a == "FILE" ? qemuImage : a)], theirs);
        var qcowkit = Cli.Run([.. command.Select(a => a == "FILE" ? ourImage : a)]);

        Assert.That(qcowkit.ExitCode, Is.EqualTo(qemu.ExitCode), () => $"qemu-img: {qemu.Describe()}\nqcowkit: {qcowkit.Describe()}");
        if (qemu.ExitCode != 0)
        {
            // Line for line; where qemu names how it opened the file, the part after the last ": " (qcowkit says which field of the file).
            var expected = Messages(qemu.StandardError, theirs);
            var actual = Messages(qcowkit.StandardError, ours);
            Assert.That(actual, Has.Length.EqualTo(expected.Length), qcowkit.Describe);
            for (var line = 0; line < expected.Length; line++)
            {
                Assert.That(actual[line], Does.EndWith(Tail(expected[line])).IgnoreCase, qcowkit.Describe);
            }
            if (File.Exists(ourImage))
            {
                Assert.That(Hashing.Sha256OfFile(ourImage), Is.EqualTo(Hashing.Sha256OfFile(Path.Combine(original, image))), "a refused resize writes nothing");
            }
            return;
        }
        Assert.That(qcowkit.StandardOutput, Is.EqualTo(qemu.StandardOutput));
        var format = arguments.Contains("raw") || image.EndsWith(".raw", StringComparison.Ordinal) ? "raw" : "qcow2";
        if (format == "raw")
        {
            Assert.That(new FileInfo(ourImage).Length, Is.EqualTo(new FileInfo(qemuImage).Length), "raw file length");
            Assert.That(Hashing.Sha256OfFile(ourImage), Is.EqualTo(Hashing.Sha256OfFile(qemuImage)), "raw file bytes");
            return;
        }
        Assert.That(Qemu.Info(ourImage)["virtual-size"]!.GetValue<long>(), Is.EqualTo(Qemu.Info(qemuImage)["virtual-size"]!.GetValue<long>()), "virtual size");
        Assert.That(Qemu.Img("check", ourImage).ExitCode, Is.Zero, () => Qemu.Img("check", ourImage).Describe());
        Assert.That(Qemu.Img("compare", "-f", "qcow2", "-F", "qcow2", ourImage, qemuImage).ExitCode, Is.Zero, "guest bytes");
    }

    private static string Tail(string message)
    {
        var at = message.LastIndexOf(": ", StringComparison.Ordinal);
        return at < 0 ? message : message[(at + 2)..];
    }

    /// <summary>Every stderr line without the tool's prefix and with the copy's folder replaced, minus qemu's raw-probing warning.</summary>
    private static string[] Messages(string standardError, string folder) =>
    [
        .. standardError.Replace(folder, "DIR", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith("WARNING: Image format was not specified", StringComparison.Ordinal) && !line.StartsWith("         ", StringComparison.Ordinal))
            .Select(line => line.Replace("qemu-img: ", "", StringComparison.Ordinal).Replace("qcowkit: error: ", "", StringComparison.Ordinal)),
    ];
}
