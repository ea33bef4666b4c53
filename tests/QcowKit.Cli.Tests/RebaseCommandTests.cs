using System.Text.Json.Nodes;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// <c>qcowkit rebase</c> side by side with <c>qemu-img rebase</c> 7.2: each layout is built with qemu-img and qemu-io,
/// copied twice, rebased once by each tool, and the results must agree: exit code, error text, backing file name
/// and format, guest bytes (also equal to the guest before a safe rebase), and a clean <c>qemu-img check</c>.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class RebaseCommandTests
{
    /// <summary>One step of a layout: qemu-img arguments (see <see cref="QemuLayout"/>).</summary>
    private static string[] Img(params string[] arguments) => arguments;

    private static string[] Io(string image, params string[] commands) => QemuLayout.Io(image, commands);

    private static readonly string[] Base1 = Img("create", "-q", "-f", "qcow2", "base1.qcow2", "10M");
    private static readonly string[] Base1Data = Io("base1.qcow2", "write -P 1 0 10M");
    private static readonly string[] Base2 = Img("create", "-q", "-f", "qcow2", "base2.qcow2", "8M");
    private static readonly string[] Base2Data = Io("base2.qcow2", "write -P 1 0 1M", "write -P 2 1M 1M", "write -z 3M 1M");

    private static IEnumerable<TestCaseData> Layouts()
    {
        string[] top = ["create", "-q", "-f", "qcow2", "-b", "base1.qcow2", "-F", "qcow2", "top.qcow2"];
        var topData = Io("top.qcow2", "write -P 9 5M 64k", "write -z 7M 64k", "write -P 8 9M 4k");
        yield return Case("onto another qcow2 base", [Base1, Base1Data, Base2, Base2Data, top, topData], "-b", "base2.qcow2", "-F", "qcow2");
        yield return Case("without a backing format", [Base1, Base1Data, Base2, Base2Data, top, topData], "-b", "base2.qcow2");
        yield return Case("standalone with an empty name", [Base1, Base1Data, top, topData], "-b", "");
        yield return Case("unsafe rename", [Base1, Base1Data, Base2, Base2Data, top, topData], "-u", "-b", "base2.qcow2", "-F", "qcow2");
        yield return Case("unsafe without a name drops the backing file", [Base1, Base1Data, top, topData], "-u");
        yield return Case("safe without a name", [Base1, Base1Data, top, topData]);
        yield return Case("onto a missing file", [Base1, Base1Data, top, topData], "-b", "missing.qcow2", "-F", "qcow2");
        yield return Case("onto itself", [Base1, Base1Data, top, topData], "-b", "top.qcow2", "-F", "qcow2");
        yield return Case("a raw image", [Img("create", "-q", "-f", "raw", "top.qcow2", "1M")], "-f", "raw", "-b", "base1.qcow2", "-F", "qcow2");
        yield return Case("onto a raw backing file", [Base1, Base1Data, Img("create", "-q", "-f", "raw", "plain.raw", "6M"), Io("plain.raw", "write -P 3 2M 1M"), top, topData],
            "-b", "plain.raw", "-F", "raw");
        yield return Case("from a raw backing file", [Img("create", "-q", "-f", "raw", "plain.raw", "6M"), Io("plain.raw", "write -P 3 2M 1M"), Base2, Base2Data,
            Img("create", "-q", "-f", "qcow2", "-b", "plain.raw", "-F", "raw", "top.qcow2", "9M"), Io("top.qcow2", "write -P 4 0 100k")], "-b", "base2.qcow2", "-F", "qcow2");
        yield return Case("skipping the middle of a three-deep chain", [Base1, Base1Data,
            Img("create", "-q", "-f", "qcow2", "-b", "base1.qcow2", "-F", "qcow2", "mid.qcow2"), Io("mid.qcow2", "write -P 5 1M 2M", "write -z 4M 1M"),
            Img("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2"), Io("top.qcow2", "write -P 6 1536k 8k")], "-b", "base1.qcow2", "-F", "qcow2");
        yield return Case("a five-deep chain onto its second layer", [Base1, Base1Data,
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "-b", "base1.qcow2", "-F", "qcow2", "l2.qcow2"), Io("l2.qcow2", "write -P 11 100k 300k"),
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=128k", "-b", "l2.qcow2", "-F", "qcow2", "l3.qcow2"), Io("l3.qcow2", "write -P 12 2M 1M", "write -z 0 64k"),
            Img("create", "-q", "-f", "qcow2", "-b", "l3.qcow2", "-F", "qcow2", "l4.qcow2"), Io("l4.qcow2", "write -P 13 6M 512"),
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=16k", "-b", "l4.qcow2", "-F", "qcow2", "top.qcow2"), Io("top.qcow2", "write -P 14 3M 16k")],
            "-b", "l2.qcow2", "-F", "qcow2");
        yield return Case("a 4k-cluster top onto a 2M-cluster base", [Base1, Base1Data,
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=2M", "base2.qcow2", "12M"), Io("base2.qcow2", "write -P 7 0 3M"),
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "-b", "base1.qcow2", "-F", "qcow2", "top.qcow2", "12M"), Io("top.qcow2", "write -P 9 4096 4096")],
            "-b", "base2.qcow2", "-F", "qcow2");
        yield return Case("compressed clusters in the old backing file", [Base2, Base2Data, Img("convert", "-c", "-O", "qcow2", "base2.qcow2", "packed.qcow2"),
            Img("create", "-q", "-f", "qcow2", "-b", "packed.qcow2", "-F", "qcow2", "top.qcow2"), Io("top.qcow2", "write -P 9 1M 4k"), Base1, Base1Data], "-b", "base1.qcow2", "-F", "qcow2");
        yield return Case("compressed clusters in the new backing file", [Base1, Base1Data, Base2, Base2Data, Img("convert", "-c", "-O", "qcow2", "base2.qcow2", "packed.qcow2"),
            top, topData], "-b", "packed.qcow2", "-F", "qcow2");
        yield return Case("extended L2 subclusters in the top", [Base1, Base1Data, Base2, Base2Data,
            Img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=64k", "-b", "base1.qcow2", "-F", "qcow2", "top.qcow2"),
            Io("top.qcow2", "write -P 9 6k 2k", "write -z 40k 8k", "write -P 8 1M 3k")], "-b", "base2.qcow2", "-F", "qcow2");
        yield return Case("a top larger than both backing files", [Base1, Base1Data, Base2, Base2Data,
            Img("create", "-q", "-f", "qcow2", "-b", "base1.qcow2", "-F", "qcow2", "top.qcow2", "20M"), Io("top.qcow2", "write -P 9 15M 1M")], "-b", "base2.qcow2", "-F", "qcow2");
        yield return Case("a name in a subfolder", [Base1, Base1Data, Img("create", "-q", "-f", "qcow2", "sub/base3.qcow2", "10M"), Io("sub/base3.qcow2", "write -P 6 3M 3M"),
            top, topData], "-b", "sub/base3.qcow2", "-F", "qcow2");

        static TestCaseData Case(string name, string[][] layout, params string[] arguments) =>
            new TestCaseData(layout, arguments).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Layouts))]
    public void Rebase_agrees_with_qemu_img_rebase(string[][] layout, string[] arguments)
    {
        using var temp = new TempDirectory("rebase");
        var original = Directory.CreateDirectory(temp.File("original")).FullName;
        QemuLayout.Build(original, layout);
        var theirs = QemuLayout.Copy(original, temp.File("qemu"));
        var ours = QemuLayout.Copy(original, temp.File("qcowkit"));
        var qemuImage = Path.Combine(theirs, "top.qcow2");
        var ourImage = Path.Combine(ours, "top.qcow2");
        var guestBefore = Qemu.RawSha256(Path.Combine(original, "top.qcow2"));

        var qemu = ProcessRunner.Run(Qemu.ImgPath, ["rebase", .. arguments, qemuImage], theirs);
        var qcowkit = Cli.Run(["rebase", .. arguments, ourImage]);

        Assert.That(qcowkit.ExitCode, Is.EqualTo(qemu.ExitCode), () => $"qemu-img: {qemu.Describe()}\nqcowkit: {qcowkit.Describe()}");
        if (qemu.ExitCode != 0)
        {
            // qemu's first message, without its prefix and with our copy's folder for its.
            var message = qemu.StandardError.Split('\n')[0]["qemu-img: ".Length..].Replace(theirs, ours, StringComparison.Ordinal);
            Assert.That(qcowkit.StandardError.Replace("\n", " ", StringComparison.Ordinal), Does.Contain(Tail(message)), qcowkit.Describe);
            // Unlike qemu-img, which copies before it finds the format missing, a refusal writes nothing.
            Assert.That(Hashing.Sha256OfFile(ourImage), Is.EqualTo(Hashing.Sha256OfFile(Path.Combine(original, "top.qcow2"))), "a refused rebase writes nothing");
            return;
        }
        Assert.That(Backing(ourImage), Is.EqualTo(Backing(qemuImage)), "backing file name and format");
        Assert.That(Qemu.Img("check", ourImage).ExitCode, Is.Zero, () => Qemu.Img("check", ourImage).Describe());
        Assert.That(Qemu.RawSha256(ourImage), Is.EqualTo(Qemu.RawSha256(qemuImage)), "guest bytes after the rebase");
        if (!arguments.Contains("-u"))
        {
            Assert.That(Qemu.RawSha256(ourImage), Is.EqualTo(guestBefore), "a safe rebase keeps the guest view");
        }
    }

    /// <summary>The message after its last "': " (the part that does not depend on how the file was named).</summary>
    private static string Tail(string message)
    {
        var at = message.LastIndexOf(": ", StringComparison.Ordinal);
        return at < 0 ? message : message[(at + 2)..];
    }

    private static (string?, string?) Backing(string image)
    {
        var info = Qemu.Info(image);
        return ((string?)info["backing-filename"], (string?)info["backing-filename-format"]);
    }
}
