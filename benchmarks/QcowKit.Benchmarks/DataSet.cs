using System.Globalization;

namespace QcowKit.Benchmarks;

/// <summary>
/// The input images, made once per size with qemu's own tools and kept in the work folder (a
/// <c>ready</c> marker records a finished set): an ext4 of real files plus a sparse tail, its qcow2
/// forms (plain, deflate, zstd), a 4-deep backing chain over it, a fragmented image, a fully
/// allocated image and a sparse 1 TiB one.
/// </summary>
internal sealed class DataSet
{
    private const int ClusterSize = 65536;
    private const int RandomSeed = 42;

    private DataSet(string directory, SuiteOptions options)
    {
        Directory = directory;
        Quick = options.Quick;
        DataBytes = options.DataBytes;
    }

    public string Directory { get; }

    public bool Quick { get; }

    public long DataBytes { get; }

    public string Raw => PathOf("disk.raw");

    public string Plain => PathOf("plain.qcow2");

    public string Deflate => PathOf("deflate.qcow2");

    public string Zstd => PathOf("zstd.qcow2");

    /// <summary>Top of base (plain.qcow2) + 3 overlays.</summary>
    public string ChainTop => PathOf("chain3.qcow2");

    /// <summary>The chain's guest bytes as raw, for the compare row.</summary>
    public string ChainFlat => PathOf("chain-flat.raw");

    public string Fragmented => PathOf("fragmented.qcow2");

    public string RandomOffsets => PathOf("random-offsets.txt");

    public string FullyAllocated => PathOf("allocated.qcow2");

    public string FullyAllocatedSize => Quick ? "1G" : "16G";

    public string SparseHuge => PathOf("sparse.qcow2");

    public string SparseHugeSize => Quick ? "64G" : "1T";

    /// <summary>Allocations in the sparse image: one 64 KiB cluster per GiB.</summary>
    public int SparseHugeWrites => Quick ? 64 : 1024;

    public long FragmentedSize => Quick ? 16L << 20 : 256L << 20;

    public int RandomReads => Quick ? 500 : 20000;

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Images in the deep backing chain, base included.</summary>
    public const int DeepChainLength = 20;

    /// <summary>64 MiB, every cluster written by qemu-io.</summary>
    public string Written64 => PathOf("written64.qcow2");

    /// <summary>Top of <see cref="DeepChainLength"/> images: a 64 MiB base and overlays that each write one cluster.</summary>
    public string DeepChainTop => PathOf($"deep{DeepChainLength - 1}.qcow2");

    public static DataSet Prepare(SuiteOptions options, Action<string> log)
    {
        var set = new DataSet(options.WorkDirectory, options);
        var marker = set.PathOf("ready");
        if (File.Exists(marker))
        {
            log($"reusing inputs in {set.Directory}");
            set.MakeShortCommandInputs(log);
            return set;
        }
        if (System.IO.Directory.Exists(set.Directory)) System.IO.Directory.Delete(set.Directory, recursive: true);
        System.IO.Directory.CreateDirectory(set.Directory);
        set.MakeFilesystem(log);
        log("qemu-img convert: plain, deflate, zstd qcow2");
        Qemu("qemu-img", "convert", "-f", "raw", "-O", "qcow2", set.Raw, set.Plain);
        Qemu("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", "-o", "compression_type=zlib", set.Raw, set.Deflate);
        Qemu("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", "-o", "compression_type=zstd", set.Raw, set.Zstd);
        set.MakeChain(log);
        set.MakeFragmented(log);
        log($"qemu-img create: {set.FullyAllocatedSize} preallocation=metadata, {set.SparseHugeSize} sparse");
        Qemu("qemu-img", "create", "-q", "-f", "qcow2", "-o", "preallocation=metadata", set.FullyAllocated, set.FullyAllocatedSize);
        Qemu("qemu-img", "create", "-q", "-f", "qcow2", set.SparseHuge, set.SparseHugeSize);
        var gib = 1L << 30;
        QemuIo(set.SparseHuge, Enumerable.Range(0, set.SparseHugeWrites)
            .Select(i => $"write -q -P {(i % 250) + 1} {(i * gib) + ((long)(i % 16) * ClusterSize)} 64k"));
        set.MakeShortCommandInputs(log);
        File.WriteAllText(marker, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        return set;
    }

    /// <summary>
    /// The short-command rows' inputs (a written 64 MiB image, a 20-deep chain): small, so made on their own marker,
    /// also in a work folder whose larger inputs were made before these rows existed.
    /// </summary>
    private void MakeShortCommandInputs(Action<string> log)
    {
        var marker = PathOf("ready-short");
        if (File.Exists(marker)) return;
        log($"short-command inputs: 64 MiB written image, {DeepChainLength}-deep backing chain");
        Qemu("qemu-img", "create", "-q", "-f", "qcow2", Written64, "64M");
        QemuIo(Written64, ["write -q -P 0x5a 0 64M"]);
        var previous = PathOf("deep0.qcow2");
        Qemu("qemu-img", "create", "-q", "-f", "qcow2", previous, "64M");
        QemuIo(previous, ["write -q -P 0x11 0 4M"]);
        for (var level = 1; level < DeepChainLength; level++)
        {
            var overlay = PathOf($"deep{level}.qcow2");
            Qemu("qemu-img", "create", "-q", "-f", "qcow2", "-b", Path.GetFileName(previous), "-F", "qcow2", overlay);
            QemuIo(overlay, [$"write -q -P {level + 0x20} {(long)level * ClusterSize * 16} 64k"]);
            previous = overlay;
        }
        File.WriteAllText(marker, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// ext4 made by <c>mkfs.ext4 -d</c> from files of /usr/share and /usr/lib (real, mixed data),
    /// twice the data's size so half of it is free blocks, then a sparse tail of the data's size.
    /// </summary>
    private void MakeFilesystem(Action<string> log)
    {
        var staging = PathOf("staging");
        var copied = 0L;
        foreach (var root in new[] { "/usr/share", "/usr/lib" })
        {
            if (!System.IO.Directory.Exists(root)) continue;
            var files = System.IO.Directory.EnumerateFiles(root, "*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                IgnoreInaccessible = true,
                AttributesToSkip = FileAttributes.ReparsePoint,
            });
            foreach (var file in files)
            {
                if (copied >= DataBytes) break;
                try
                {
                    var length = new FileInfo(file).Length;
                    if (length == 0 || length > DataBytes - copied) continue;
                    var target = Path.Combine(staging, root.TrimStart('/'), Path.GetRelativePath(root, file));
                    System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target);
                    copied += length;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Unreadable system files are simply not part of the data set.
                }
            }
        }
        log($"mkfs.ext4 -d with {copied >> 20} MiB of files from /usr/share and /usr/lib");
        var fsBytes = Math.Max(2 * DataBytes, DataBytes + (32L << 20));
        Qemu("mkfs.ext4", "-q", "-F", "-d", staging, Raw, $"{fsBytes >> 10}k");
        using (var raw = File.OpenHandle(Raw, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(raw, fsBytes + DataBytes);
        }
        System.IO.Directory.Delete(staging, recursive: true);
    }

    /// <summary>plain.qcow2 as base, three overlays each rewriting scattered 256 KiB ranges.</summary>
    private void MakeChain(Action<string> log)
    {
        log("backing chain: plain.qcow2 <- chain1 <- chain2 <- chain3");
        var virtualSize = new FileInfo(Raw).Length;
        var random = new Random(RandomSeed);
        var previous = Plain;
        for (var level = 1; level <= 3; level++)
        {
            var overlay = PathOf($"chain{level}.qcow2");
            Qemu("qemu-img", "create", "-q", "-f", "qcow2", "-b", Path.GetFileName(previous), "-F", "qcow2", overlay);
            var writes = Quick ? 8 : 64;
            QemuIo(overlay, Enumerable.Range(0, writes).Select(_ =>
                $"write -q -P {0x40 + level} {random.NextInt64(0, (virtualSize - (256 << 10)) / ClusterSize) * ClusterSize} 256k"));
            previous = overlay;
        }
        Qemu("qemu-img", "convert", "-O", "raw", ChainTop, ChainFlat);
    }

    /// <summary>Every cluster written once, in shuffled order, so guest order and host order differ.</summary>
    private void MakeFragmented(Action<string> log)
    {
        var clusters = (int)(FragmentedSize / ClusterSize);
        log($"fragmented image: {clusters} clusters written in random order");
        Qemu("qemu-img", "create", "-q", "-f", "qcow2", Fragmented, FragmentedSize.ToString(CultureInfo.InvariantCulture));
        var order = Enumerable.Range(0, clusters).ToArray();
        var random = new Random(RandomSeed);
        random.Shuffle(order);
        QemuIo(Fragmented, order.Select(c => $"write -q -P {(c % 250) + 1} {(long)c * ClusterSize} 64k"));
        var reads = Enumerable.Range(0, RandomReads)
            .Select(_ => (random.NextInt64(0, FragmentedSize / EngineCommands.RandomReadSize) * EngineCommands.RandomReadSize).ToString(CultureInfo.InvariantCulture));
        File.WriteAllLines(RandomOffsets, reads);
    }

    /// <summary>qemu-io with one <c>-c</c> per command, in batches that keep the command line short.</summary>
    public static void QemuIo(string image, IEnumerable<string> commands)
    {
        foreach (var batch in commands.Chunk(4096))
        {
            Qemu("qemu-io", ["-f", "qcow2", .. batch.SelectMany(c => new[] { "-c", c }), image]);
        }
    }

    private static void Qemu(string tool, params string[] arguments) => ChildProcess.Check(tool, arguments);
}
