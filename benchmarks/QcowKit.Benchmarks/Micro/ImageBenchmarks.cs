using BenchmarkDotNet.Attributes;
using QcowKit.Check;
using QcowKit.Format;
using QcowKit.Image;
using QcowKit.Image.Files;
using QcowKit.Image.Writing;

namespace QcowKit.Benchmarks.Micro;

/// <summary>
/// L2 lookup and cache, refcount scan, check and guest stream reads on a 64 MiB image qemu wrote
/// fully, its clusters in shuffled order (so one guest run never spans two host clusters).
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class ImageBenchmarks : IDisposable
{
    private const int ClusterSize = 65536;
    private const long ImageSize = 64L << 20;
    private readonly byte[] _buffer = new byte[1 << 20];
    private string _directory = "";
    private string _path = "";
    private QcowImage? _image;
    private HostFile? _refcountFile;
    private RefcountAllocator? _refcounts;
    private long _l2Offset;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "qcowkit-bench", $"micro-{Environment.ProcessId}");
        Directory.CreateDirectory(_directory);
        _path = Path.Combine(_directory, "image.qcow2");
        ChildProcess.Check("qemu-img", "create", "-q", "-f", "qcow2", _path, "64M");
        var order = Enumerable.Range(0, (int)(ImageSize / ClusterSize)).ToArray();
        new Random(7).Shuffle(order);
        DataSet.QemuIo(_path, order.Select(c => $"write -q -P {(c % 250) + 1} {(long)c * ClusterSize} 64k"));
        _image = QcowImage.Open(_path);
        _l2Offset = (long)new L1Entry(_image.L1Table[0]).L2TableOffset;
        _ = _image.ResolveRun(0, ClusterSize); // loads the one L2 table into the cache the lookups below hit
        var h = _image.Header;
        _refcountFile = new HandleHostFile(File.OpenHandle(_path));
        _refcounts = RefcountAllocator.Open(_refcountFile, h.ClusterBits, h.RefcountOrder, (long)h.RefcountTableOffset, (int)h.RefcountTableClusters);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _image?.Dispose();
        _image = null;
        _refcountFile?.Dispose();
        _refcountFile = null;
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Resolves every cluster of the image (cached L2 table): the per-cluster mapping cost.</summary>
    [Benchmark]
    public long Resolve_every_cluster()
    {
        long sum = 0;
        for (long offset = 0; offset < ImageSize; offset += ClusterSize)
        {
            sum += _image!.ResolveRun(offset, ClusterSize).HostOffset;
        }
        return sum;
    }

    [Benchmark]
    public int L2_cache_hit() => _image!.L2Cache.GetOrLoad(_l2Offset, _ => throw new InvalidOperationException("cached table was evicted")).Length;

    /// <summary>
    /// The refcount of every host cluster through the writer's refcount allocator (blocks cached after the
    /// first pass): the per-cluster cost under the allocator's free-space search.
    /// </summary>
    [Benchmark]
    public ulong Refcount_scan()
    {
        ulong sum = 0;
        var clusters = _image!.FileLength / ClusterSize;
        for (long cluster = 0; cluster < clusters; cluster++)
        {
            sum += _refcounts!.Get(cluster);
        }
        return sum;
    }

    [Benchmark]
    public long Check_image() => QcowChecker.Check(_path).AllocatedClusters;

    /// <summary>The whole guest disk through <see cref="QcowImage.OpenStream"/> in 1 MiB reads.</summary>
    [Benchmark]
    public long Guest_stream_read_64MiB()
    {
        using var stream = _image!.OpenStream();
        long total = 0;
        int read;
        while ((read = stream.Read(_buffer)) > 0) total += read;
        return total;
    }
}
