using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// <c>qcowkit measure</c> side by side with <c>qemu-img measure</c> 7.2 on the same inputs: the same exit code, the
/// same figures (human and JSON, byte for byte), and qemu's refusals line for line.
/// </summary>
[TestFixture]
public sealed class MeasureCommandTests
{
    private TempDirectory _temp = null!;

    [OneTimeSetUp]
    public void CreateSources()
    {
        _temp = new TempDirectory("measure");
        Qemu.CreateQcow2(File("plain.qcow2"), "64M");
        Qemu.Io(File("plain.qcow2"), "write -P 1 0 1M", "write -z 2M 1M", "write -P 2 10M 4k");
        Qemu.CreateQcow2(File("small-clusters.qcow2"), "100M", "cluster_size=4k");
        Qemu.Io(File("small-clusters.qcow2"), "write -P 3 0 3M", "write -z 5M 2M", "write -c -P 4 20M 256k");
        Qemu.ImgOk("create", "-f", "qcow2", "-F", "qcow2", "-b", File("small-clusters.qcow2"), File("overlay.qcow2"));
        Qemu.Io(File("overlay.qcow2"), "write -P 5 4M 1M", "write -z 0 64k");
        Qemu.CreateQcow2(File("extended.qcow2"), "50M", "extended_l2=on,cluster_size=128k");
        Qemu.Io(File("extended.qcow2"), "write -P 6 4k 4k", "write -P 6 1M 100k");
        Qemu.CreateQcow2(File("v2.qcow2"), "10M", "compat=0.10");
        Qemu.Io(File("v2.qcow2"), "write 0 1M");
        Qemu.CreateQcow2(File("preallocated.qcow2"), "20M", "preallocation=metadata");
        Qemu.ImgOk("convert", "-c", "-O", "qcow2", File("small-clusters.qcow2"), File("compressed.qcow2"));
        Qemu.CreateQcow2(File("bitmaps.qcow2"), "30M");
        Qemu.Io(File("bitmaps.qcow2"), "write -P 7 0 2M");
        Qemu.ImgOk("bitmap", "--add", File("bitmaps.qcow2"), "b1");
        Qemu.ImgOk("bitmap", "--add", "-g", "4k", File("bitmaps.qcow2"), "a-much-longer-bitmap-name");
        Qemu.ImgOk("create", "-f", "raw", File("sparse.raw"), "10M");
        Qemu.IoFormat(File("sparse.raw"), "raw", "write -P 8 1M 100k");
        Qemu.ImgOk("create", "-f", "raw", File("empty.raw"), "3M");
    }

    [OneTimeTearDown]
    public void RemoveSources() => _temp.Dispose();

    private string File(string name) => _temp.File(name);

    private static IEnumerable<TestCaseData> Inputs()
    {
        // Sources: every kind of cluster qemu's block status tells apart, through a chain, raw and qcow2.
        string[][] cases =
        [
            ["plain.qcow2"],
            ["-O", "qcow2", "plain.qcow2"],
            ["-O", "qcow2", "--output=json", "plain.qcow2"],
            ["-O", "qcow2", "small-clusters.qcow2"],
            ["-O", "qcow2", "-o", "cluster_size=512", "small-clusters.qcow2"],
            ["-O", "qcow2", "-o", "cluster_size=2M,refcount_bits=64", "overlay.qcow2"],
            ["-O", "qcow2", "overlay.qcow2"],
            ["-O", "qcow2", "-o", "backing_file=base.qcow2", "overlay.qcow2"],
            ["-O", "qcow2", "extended.qcow2"],
            ["-O", "qcow2", "-o", "extended_l2=on", "extended.qcow2"],
            ["-O", "qcow2", "-o", "extended_l2=on,cluster_size=16k", "small-clusters.qcow2"],
            ["-O", "qcow2", "v2.qcow2"],
            ["-O", "qcow2", "-o", "compat=0.10", "bitmaps.qcow2"],
            ["-O", "qcow2", "preallocated.qcow2"],
            ["-O", "qcow2", "compressed.qcow2"],
            ["-O", "qcow2", "--output=json", "compressed.qcow2"],
            ["-O", "qcow2", "bitmaps.qcow2"],
            ["-O", "qcow2", "--output=json", "-o", "cluster_size=4k", "bitmaps.qcow2"],
            ["-O", "qcow2", "sparse.raw"],
            ["-O", "qcow2", "-f", "raw", "empty.raw"],
            ["-O", "qcow2", "-f", "raw", "plain.qcow2"],
            ["-O", "qcow2", "-o", "preallocation=falloc", "plain.qcow2"],
            ["-O", "qcow2", "-o", "preallocation=metadata", "plain.qcow2"],
            ["-O", "qcow2", "-o", "refcount_bits=1,cluster_size=1k", "overlay.qcow2"],
            ["-O", "raw", "overlay.qcow2"],
            ["--output=json", "sparse.raw"],
            // Sizes only.
            ["-O", "qcow2", "--size", "0"],
            ["-O", "qcow2", "--size", "1.5k"],
            ["-O", "qcow2", "--size", "0x100000"],
            ["-O", "qcow2", "--size", "1T", "-o", "cluster_size=2M"],
            ["-O", "qcow2", "--size", "3G", "-o", "cluster_size=16k,extended_l2=on,refcount_bits=2"],
            ["-O", "qcow2", "--size", "100M", "-o", "preallocation=full,backing_file=x"],
            ["-O", "raw", "--size", "1000"],
            ["--output=json", "--size", "1000"],
            // Refusals.
            ["-O", "qcow2", "--size", "1E"],
            ["-O", "qcow2", "--size", "8E"],
            ["-O", "qcow2", "--size", "-1"],
            ["-O", "qcow2"],
            ["-O", "qcow2", "--size", "1M", "plain.qcow2"],
            ["-O", "vmdk", "--size", "1M"],
            ["-O", "bogus", "--size", "1M"],
            ["-O", "qcow2", "-o", "compat=v3", "--size", "1M"],
            ["-O", "qcow2", "-o", "cluster_size=abc", "--size", "1M"],
            ["-O", "qcow2", "-o", "foo", "--size", "1M"],
            ["-O", "qcow2", "-o", "preallocation=x", "--size", "1M"],
            ["-O", "qcow2", "-o", "refcount_bits=x", "--size", "1M"],
            ["-O", "qcow2", "-o", "refcount_bits=0", "--size", "1M"],
            ["-O", "qcow2", "-o", "compat=0.10,refcount_bits=8", "--size", "1M"],
            ["-O", "qcow2", "-o", "extended_l2=on,cluster_size=4k", "--size", "1M"],
            ["-O", "qcow2", "-o", "extended_l2=maybe", "--size", "1M"],
            ["-O", "raw", "-o", "cluster_size=4k", "--size", "1M"],
            ["-O", "qcow2", "-o", "size=5000"],
        ];
        return cases.Select(arguments => new TestCaseData((object)arguments).SetArgDisplayNames(string.Join(' ', arguments)));
    }

    [TestCaseSource(nameof(Inputs))]
    public void Measure_gives_qemu_img_measures_output_and_exit_code(string[] arguments)
    {
        var resolved = arguments.Select(a => a.EndsWith(".qcow2", StringComparison.Ordinal) || a.EndsWith(".raw", StringComparison.Ordinal)
            ? (a.Contains('=', StringComparison.Ordinal) ? a : File(a)) : a).ToArray();

        var qemu = Cli.Qemu(["measure", .. resolved]);
        var ours = Cli.Run(["measure", .. resolved]);

        Assert.Multiple(() =>
        {
            Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode), ours.Describe);
            Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput), ours.Describe);
            Assert.That(ours.StandardError.Replace("qcowkit: error: ", "qemu-img: ", StringComparison.Ordinal), Is.EqualTo(qemu.StandardError), ours.Describe);
        });
    }

    [Test]
    public void Measuring_leaves_the_source_byte_for_byte_as_it_was()
    {
        var before = System.IO.File.ReadAllBytes(File("bitmaps.qcow2"));

        var ours = Cli.Run("measure", "-O", "qcow2", File("bitmaps.qcow2"));

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(System.IO.File.ReadAllBytes(File("bitmaps.qcow2")), Is.EqualTo(before));
    }
}
