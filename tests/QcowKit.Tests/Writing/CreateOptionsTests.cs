using QcowKit.Create;
using QcowKit.Format;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Writing;

[TestFixture]
public sealed class CreateOptionsTests
{
    /// <summary>Option lists qemu-img create refuses; our refusal must carry qemu's own message.</summary>
    private static readonly (string Options, string Size)[] RefusedByQemu =
    [
        ("extended_l2=on,cluster_size=8k", "1M"),
        ("compat=0.10,lazy_refcounts=on", "1M"),
        ("compat=0.10,refcount_bits=8", "1M"),
        ("compat=0.10,compression_type=zstd", "1M"),
        ("compat=0.10,data_file=refused-data.raw", "1M"),
        ("data_file_raw=on", "1M"),
        ("cluster_size=3000", "1M"),
        ("cluster_size=256", "1M"),
        ("cluster_size=4M", "1M"),
        ("cluster_size=1.5k", "1M"),
        ("cluster_size=0", "1M"),
        ("cluster_size=abc", "1M"),
        ("refcount_bits=3", "1M"),
        ("refcount_bits=0", "1M"),
        ("refcount_bits=128", "1M"),
        ("refcount_bits=abc", "1M"),
        ("compat=1.2", "1M"),
        ("compat=", "1M"),
        ("compression_type=lz4", "1M"),
        ("preallocation=foo", "1M"),
        ("extended_l2=maybe", "1M"),
        ("extended_l2=1", "1M"),
        ("foo=1", "1M"),
        ("size=1M", "2M"),
        ("size=1Mb", ""),
        ("backing_fmt=raw", "1M"),
        ("extended_l2=on,compat=0.10", "1M"),
        ("extended_l2=on,compat=0.10,cluster_size=3000", "1M"),
        ("cluster_size=3000,compat=0.10,lazy_refcounts=on", "1M"),
        ("refcount_bits=3,compat=0.10,lazy_refcounts=on", "1M"),
        ("refcount_bits=3,compat=0.10", "1M"),
        ("compat=0.10,data_file=refused-data.raw,lazy_refcounts=on", "1M"),
        ("data_file_raw=on,compat=0.10", "1M"),
        ("data_file_raw=on,extended_l2=on,cluster_size=8k", "1M"),
        ("backing_fmt=raw,extended_l2=on,cluster_size=8k", "1M"),
        ("compression_type=zstd,compat=0.10,refcount_bits=8", "1M"),
        ("data_file=refused-data.raw,compat=0.10,compression_type=zstd", "1M"),
        ("refcount_bits=1,cluster_size=512", "1T"),
        ("cluster_size=512", "16T"),
        ("cluster_size=2M", "5E"),
        ("", ""),
        (",size=1M", ""),
        ("size=1M,", ""),
        ("", "1Q"),
        ("", "1.5"),
        ("", "512.7"),
        ("", ".5M"),
        ("", "1e3"),
        ("", "1M5"),
        ("", "8E"),
        ("", "7E"),
    ];

    private static IEnumerable<TestCaseData> RefusalCases() =>
        RefusedByQemu.Select(c => new TestCaseData(c.Options, c.Size).SetArgDisplayNames($"-o '{c.Options}' size '{c.Size}'"));

    [TestCaseSource(nameof(RefusalCases))]
    public void Refuses_invalid_options_with_qemus_message(string options, string size)
    {
        using var temp = new TempDirectory("opts");
        var qemuImage = temp.File("qemu.qcow2");
        var arguments = new List<string> { "create", "-q", "-f", "qcow2" };
        if (options.Length > 0 || size.Length == 0) arguments.AddRange(["-o", options]);
        arguments.Add(qemuImage);
        if (size.Length > 0) arguments.Add(size);
        var qemu = ProcessRunner.Run(Qemu.ImgPath, arguments, workingDirectory: temp.Path);
        Assert.That(qemu.ExitCode, Is.Not.Zero, "qemu-img accepted options this case expects it to refuse");
        var qemuMessage = QemuMessage(qemu.StandardError, qemuImage);

        var ourImage = temp.File("ours.qcow2");
        var ex = Assert.Throws<QcowOptionsException>(() =>
        {
            var parsed = QcowCreateOptions.Parse(options.Length > 0 || size.Length == 0 ? options : null, size.Length > 0 ? size : null);
            QcowCreator.Create(ourImage, parsed);
        });
        Assert.That(ex!.Message, Is.EqualTo(qemuMessage));
        Assert.That(File.Exists(ourImage), Is.False, "a refused create must not leave an image behind");
    }

    /// <summary>qemu's stderr without its "qemu-img: path: " prefixes.</summary>
    private static string QemuMessage(string stderr, string image)
    {
        var lines = stderr.TrimEnd('\n').Split('\n').Select(line =>
        {
            foreach (var prefix in new[] { $"qemu-img: {image}: ", "qemu-img: " })
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..];
            }
            return line;
        });
        return string.Join('\n', lines);
    }

    [TestCase("1k", 1024UL)]
    [TestCase("1", 1UL)]
    [TestCase("1b", 1UL)]
    [TestCase("1K", 1024UL)]
    [TestCase("1m", 1048576UL)]
    [TestCase("1.5M", 1572864UL)]
    [TestCase("1.M", 1048576UL)]
    [TestCase(" 1M", 1048576UL)]
    [TestCase("0x100", 256UL)]
    [TestCase("2G", 2147483648UL)]
    [TestCase("1T", 1099511627776UL)]
    [TestCase("1P", 1125899906842624UL)]
    [TestCase("1E", 1152921504606846976UL)]
    public void Parses_sizes_with_qemu_suffixes(string text, ulong expected)
    {
        Assert.That(QemuSize.TryParse(text, out var value), Is.True);
        Assert.That(value, Is.EqualTo(expected));
    }

    [Test]
    public void Parses_every_option_qemu_names()
    {
        var options = QcowCreateOptions.Parse(
            "size=3M,compat=v3,cluster_size=16k,refcount_bits=4,extended_l2=on,lazy_refcounts=yes,compression_type=zstd,preallocation=falloc,backing_file=a,,b.qcow2,backing_fmt=qcow2,data_file=d.raw,data_file_raw=off");
        Assert.Multiple(() =>
        {
            Assert.That(options.Size, Is.EqualTo(3 * 1024 * 1024));
            Assert.That(options.Compat, Is.EqualTo(QcowCompat.V3));
            Assert.That(options.ClusterSize, Is.EqualTo(16384));
            Assert.That(options.RefcountBits, Is.EqualTo(4));
            Assert.That(options.ExtendedL2, Is.True);
            Assert.That(options.LazyRefcounts, Is.True);
            Assert.That(options.CompressionType, Is.EqualTo(CompressionType.Zstd));
            Assert.That(options.Preallocation, Is.EqualTo(QcowPreallocation.Falloc));
            Assert.That(options.BackingFile, Is.EqualTo("a,b.qcow2"));
            Assert.That(options.BackingFormat, Is.EqualTo("qcow2"));
            Assert.That(options.DataFile, Is.EqualTo("d.raw"));
            Assert.That(options.DataFileRaw, Is.False);
        });
    }
}
