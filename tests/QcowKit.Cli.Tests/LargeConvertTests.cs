using System.Diagnostics;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// qcowkit convert on a 1 GiB ext4 file system holding a few hundred MiB of real files (from /usr/share and
/// /usr/lib, put in with mkfs.ext4 -d): raw to qcow2 plain and compressed with zlib and zstd gives the guest
/// bytes qemu-img's conversion gives, and qemu-made compressed images convert back to raw as qemu reads them.
/// Through the CLI verb (in-process), because raw output exists only there. One file system for all cases.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LargeConvertTests
{
    private const long DiskSize = 1024L * 1024 * 1024;
    private const long ContentBudget = 440L * 1024 * 1024;

    private readonly Dictionary<string, string> _qemuImages = [];
    private TempDirectory? _temp;
    private string _source = "";

    [OneTimeSetUp]
    public void MakeFileSystem()
    {
        var watch = Stopwatch.StartNew();
        _temp = new TempDirectory("convert-1g");
        var staging = _temp.File("content");
        var copied = StageRealFiles(staging);
        _source = _temp.File("ext4.raw");
        using (var stream = File.Create(_source))
        {
            stream.SetLength(DiskSize);
        }
        var mkfs = ProcessRunner.Run("mkfs.ext4", ["-q", "-F", "-E", "root_owner=0:0", "-d", staging, _source]);
        Assert.That(mkfs.ExitCode, Is.Zero, () => "mkfs.ext4 (e2fsprogs) is needed for this test: " + mkfs.Describe());
        Directory.Delete(staging, recursive: true);
        TestContext.Progress.WriteLine($"1 GiB ext4 with {copied / (1024 * 1024)} MiB of files from /usr/share and /usr/lib made in {watch.Elapsed.TotalSeconds:F1} s");
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp?.Dispose();

    [TestCase(false, "zlib")]
    [TestCase(true, "zlib")]
    [TestCase(true, "zstd")]
    public void Converts_a_1_GiB_ext4_image_to_qcow2_with_qemus_guest_bytes(bool compress, string compressionType)
    {
        var watch = Stopwatch.StartNew();
        var ours = _temp!.File($"ours-{compress}-{compressionType}.qcow2");
        string[] arguments = compress
            ? ["convert", "-f", "raw", "-O", "qcow2", "-c", "-o", $"compression_type={compressionType}", _source, ours]
            : ["convert", "-f", "raw", "-O", "qcow2", "-o", $"compression_type={compressionType}", _source, ours];
        var result = Cli.Run(arguments);
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        var ourSeconds = watch.Elapsed.TotalSeconds;
        var theirs = QemuImage(compress, compressionType);

        var (exitCode, report, raw) = Qemu.Check(ours);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(report!["leaks"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
        Assert.That(Qemu.Compare(ours, theirs), Is.Zero, "qemu-img compare: our conversion has the guest bytes of qemu-img's");
        var info = Qemu.Info(ours);
        Assert.That(info["format-specific"]!["data"]!["compression-type"]!.GetValue<string>(), Is.EqualTo(compressionType));
        Assert.That(report["compressed-clusters"]?.GetValue<long>() ?? 0, compress ? Is.GreaterThan(0) : Is.Zero);
        TestContext.Out.WriteLine($"qcowkit convert{(compress ? " -c" : "")} ({compressionType}): {ourSeconds:F1} s, "
            + $"{new FileInfo(ours).Length / (1024 * 1024)} MiB (qemu-img: {new FileInfo(theirs).Length / (1024 * 1024)} MiB); test {watch.Elapsed.TotalSeconds:F1} s");
    }

    [TestCase("zlib")]
    [TestCase("zstd")]
    public void Converts_a_qemu_compressed_1_GiB_image_to_raw_with_qemus_guest_bytes(string compressionType)
    {
        var watch = Stopwatch.StartNew();
        var theirs = QemuImage(compress: true, compressionType);
        var ours = _temp!.File($"from-qemu-{compressionType}.raw");
        var result = Cli.Run("convert", "-f", "qcow2", "-O", "raw", theirs, ours);
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(new FileInfo(ours).Length, Is.EqualTo(DiskSize));
        Assert.That(Qemu.Img("compare", "-U", "-f", "raw", "-F", "qcow2", ours, theirs).ExitCode, Is.Zero,
            "qemu-img compare: our raw output has the guest bytes qemu reads from its own compressed image");
        File.Delete(ours);
        TestContext.Out.WriteLine($"qcowkit convert -O raw of qemu's {compressionType} image: test {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>qemu-img's conversion of the file system with the same options, made once per fixture.</summary>
    private string QemuImage(bool compress, string compressionType)
    {
        var key = $"{compress}-{compressionType}";
        if (!_qemuImages.TryGetValue(key, out var path))
        {
            path = _temp!.File($"theirs-{key}.qcow2");
            var arguments = new List<string> { "convert", "-f", "raw", "-O", "qcow2", "-o", $"compression_type={compressionType}" };
            if (compress) arguments.Add("-c");
            arguments.AddRange([_source, path]);
            Qemu.ImgOk([.. arguments]);
            _qemuImages[key] = path;
        }
        return path;
    }

    /// <summary>
    /// Copies regular files from /usr/share and /usr/lib, alternately and in path order, until the budget is
    /// reached: text, documentation and compressed archives from one, shared libraries from the other.
    /// </summary>
    private static long StageRealFiles(string staging)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
        };
        var sources = new[] { "/usr/share", "/usr/lib" }
            .Where(Directory.Exists)
            .Select(root => Directory.EnumerateFiles(root, "*", options).Order(StringComparer.Ordinal).GetEnumerator())
            .ToList();
        Assert.That(sources, Is.Not.Empty, "this test needs /usr/share or /usr/lib as real data");
        var copied = 0L;
        var exhausted = 0;
        while (copied < ContentBudget - (1024 * 1024) && exhausted < sources.Count)
        {
            exhausted = 0;
            foreach (var files in sources)
            {
                if (!files.MoveNext())
                {
                    exhausted++;
                    continue;
                }
                var file = new FileInfo(files.Current);
                if (file.Length == 0 || file.Length > 64L * 1024 * 1024 || copied + file.Length > ContentBudget)
                {
                    continue;
                }
                var target = Path.Join(staging, file.FullName);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    File.Copy(file.FullName, target);
                    copied += file.Length;
                }
                catch (UnauthorizedAccessException)
                {
                    // Unreadable files are simply not part of the data set.
                }
            }
        }
        foreach (var files in sources)
        {
            files.Dispose();
        }
        Assert.That(copied, Is.GreaterThan(200L * 1024 * 1024), "a few hundred MiB of real files are needed");
        return copied;
    }
}
