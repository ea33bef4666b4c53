using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// <c>qcowkit commit</c> side by side with <c>qemu-img commit</c> 7.2: each layout is built with qemu-img and qemu-io,
/// copied twice and committed once by each tool; exit code, output and error text agree, every image of the chain reads
/// the same guest bytes in both copies and passes qemu-img check, and the committed image is emptied (or kept) alike.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class CommitCommandTests
{
    private static string[] Img(params string[] arguments) => arguments;

    private static string[] Io(string image, params string[] commands) => QemuLayout.Io(image, commands);

    private static readonly string[][] ThreeDeep =
    [
        Img("create", "-q", "-f", "qcow2", "base.qcow2", "4M"), Io("base.qcow2", "write -P 1 0 4M"),
        Img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2"), Io("mid.qcow2", "write -P 2 1M 1M", "write -z 3M 512k"),
        Img("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2", "6M"), Io("top.qcow2", "write -P 3 1536k 4k", "write -z 3M 64k", "write -P 4 5M 4k"),
    ];

    private static IEnumerable<TestCaseData> Layouts()
    {
        yield return Case("into the immediate backing file", ThreeDeep, "top.qcow2");
        yield return Case("keeping the image with -d", ThreeDeep, "-d", "top.qcow2");
        yield return Case("into the base past an intermediate layer", ThreeDeep, "-b", "base.qcow2", "top.qcow2");
        yield return Case("naming the immediate backing file", ThreeDeep, "-b", "mid.qcow2", "top.qcow2");
        yield return Case("the middle layer, quietly", ThreeDeep, "-q", "mid.qcow2");
        yield return Case("a base not in the chain", ThreeDeep, "-b", "elsewhere.qcow2", "top.qcow2");
        yield return Case("an image without a backing file", ThreeDeep, "base.qcow2");
        yield return Case("an image read as raw", ThreeDeep, "-f", "raw", "top.qcow2");
        yield return Case("a 512-byte-cluster image into a 2M-cluster base",
        [
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=2M", "base.qcow2", "8M"), Io("base.qcow2", "write -P 1 0 8M"),
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2"),
            Io("top.qcow2", "write -P 5 4097 1000", "write -z 2M 4k", "write -P 6 7M 1M"),
        ], "top.qcow2");
        yield return Case("extended L2 subclusters into a plain base",
        [
            Img("create", "-q", "-f", "qcow2", "base.qcow2", "4M"), Io("base.qcow2", "write -P 1 0 4M"),
            Img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2"),
            Io("top.qcow2", "write -P 7 6k 2k", "write -z 40k 8k", "write -P 8 1M 3k"),
        ], "top.qcow2");
        yield return Case("compressed clusters and a subfolder base",
        [
            Img("create", "-q", "-f", "qcow2", "sub/base.qcow2", "4M"), Io("sub/base.qcow2", "write -P 1 0 2M"),
            Img("create", "-q", "-f", "qcow2", "plain.qcow2", "4M"), Io("plain.qcow2", "write -P 9 1M 2M"),
            Img("convert", "-c", "-O", "qcow2", "-B", "sub/base.qcow2", "-F", "qcow2", "plain.qcow2", "top.qcow2"),
        ], "top.qcow2");
        yield return Case("a five-deep chain into its base",
        [
            Img("create", "-q", "-f", "qcow2", "base.qcow2", "4M"), Io("base.qcow2", "write -P 1 0 4M"),
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "-b", "base.qcow2", "-F", "qcow2", "l1.qcow2"), Io("l1.qcow2", "write -P 2 0 1M"),
            Img("create", "-q", "-f", "qcow2", "-b", "l1.qcow2", "-F", "qcow2", "l2.qcow2"), Io("l2.qcow2", "write -P 3 512k 1M"),
            Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=128k", "-b", "l2.qcow2", "-F", "qcow2", "l3.qcow2"), Io("l3.qcow2", "write -z 0 256k"),
            Img("create", "-q", "-f", "qcow2", "-b", "l3.qcow2", "-F", "qcow2", "top.qcow2"), Io("top.qcow2", "write -P 4 100k 8k"),
        ], "-b", "base.qcow2", "top.qcow2");

        static TestCaseData Case(string name, string[][] layout, params string[] arguments) => new TestCaseData(layout, arguments).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Layouts))]
    public void Commit_agrees_with_qemu_img_commit(string[][] layout, string[] arguments)
    {
        using var temp = new TempDirectory("commit");
        var original = Directory.CreateDirectory(temp.File("original")).FullName;
        QemuLayout.Build(original, layout);
        var theirs = QemuLayout.Copy(original, temp.File("qemu"));
        var ours = QemuLayout.Copy(original, temp.File("qcowkit"));
        var image = arguments[^1];

        var qemu = ProcessRunner.Run(Qemu.ImgPath, ["commit", .. arguments[..^1], Path.Combine(theirs, image)], theirs);
        var qcowkit = Cli.Run(["commit", .. arguments[..^1], Path.Combine(ours, image)]);

        Assert.That(qcowkit.ExitCode, Is.EqualTo(qemu.ExitCode), () => $"qemu-img: {qemu.Describe()}\nqcowkit: {qcowkit.Describe()}");
        Assert.That(qcowkit.StandardOutput, Is.EqualTo(qemu.StandardOutput));
        if (qemu.ExitCode != 0)
        {
            var message = qemu.StandardError.Split('\n')[0]["qemu-img: ".Length..].Replace(theirs + "/", "", StringComparison.Ordinal);
            Assert.That(qcowkit.StandardError.Replace(ours + "/", "", StringComparison.Ordinal), Does.Contain(message), qcowkit.Describe);
        }
        foreach (var file in Directory.EnumerateFiles(ours, "*.qcow2", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(ours, f)))
        {
            var ourFile = Path.Combine(ours, file);
            Assert.That(Qemu.Img("check", "-q", ourFile).ExitCode, Is.Zero, () => $"{file}: {Qemu.Img("check", ourFile).Describe()}");
            Assert.That(Qemu.RawSha256(ourFile), Is.EqualTo(Qemu.RawSha256(Path.Combine(theirs, file))), $"{file}'s guest bytes");
        }
        // The committed image is emptied (or kept) alike; the base may allocate differently (qemu's mirror writes
        // zeros over a grown tail and splits runs) as long as it reads the same.
        Assert.That(OwnAllocation(Path.Combine(ours, image)), Is.EqualTo(OwnAllocation(Path.Combine(theirs, image))), $"{image}: what it allocates itself");
    }

    /// <summary>The image's own allocation (depth 0 of qemu-img map, adjacent runs merged whatever their host offsets) as start:length:zero lines.</summary>
    private static string[] OwnAllocation(string image)
    {
        var runs = new List<(long Start, long Length, bool Zero)>();
        foreach (var entry in Qemu.Map(image).Select(e => e!.AsObject()).Where(e => (int)e["depth"]! == 0 && (bool)e["present"]!))
        {
            var (start, length, zero) = ((long)entry["start"]!, (long)entry["length"]!, (bool)entry["zero"]!);
            if (runs.Count > 0 && runs[^1].Start + runs[^1].Length == start && runs[^1].Zero == zero) runs[^1] = (runs[^1].Start, runs[^1].Length + length, zero);
            else runs.Add((start, length, zero));
        }
        return [.. runs.Select(r => $"{r.Start}:{r.Length}:{r.Zero}")];
    }
}
