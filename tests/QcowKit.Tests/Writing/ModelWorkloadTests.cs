using QcowKit.Image;
using QcowKit.TestSupport;
using static QcowKit.Tests.Writing.WriteTestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>
/// Seeded random workloads of writes, zeroes, discards and compressed writes against an in-memory model of
/// the guest disk; afterwards qemu-img check must be clean and the image equal to the model.
/// </summary>
[TestFixture]
public sealed class ModelWorkloadTests
{
    private const int Operations = 1000;

    [TestCase("cluster_size=64k", "4M", 11)]
    [TestCase("compat=0.10", "4M", 12)]
    [TestCase("cluster_size=4k,refcount_bits=2,compression_type=zstd", "2M", 13)]
    [TestCase("cluster_size=512,refcount_bits=64", "512k", 14)]
    [TestCase("cluster_size=16k,extended_l2=on,lazy_refcounts=on", "4M", 15)]
    [TestCase("cluster_size=64k,extended_l2=on,compression_type=zstd,refcount_bits=8", "8M", 16)]
    public void Random_workload_matches_the_model(string options, string size, int seed)
    {
        using var temp = new TempDirectory("model");
        var path = temp.File("m.qcow2");
        using var image = QcowImage.Create(path, QcowCreateOptions.Parse(options, size));
        var model = new byte[image.VirtualSize];
        Run(image, model, new Random(seed), hasBacking: false);
        image.Dispose();
        AssertCleanAndEqual(path, model, temp.Path);
    }

    [TestCase("", 21)]
    [TestCase("compat=0.10", 22)]
    [TestCase("cluster_size=32k,extended_l2=on", 23)]
    public void Random_workload_on_a_backing_chain_matches_the_model(string options, int seed)
    {
        using var temp = new TempDirectory("model");
        var basePath = temp.File("base.qcow2");
        Qemu.CreateQcow2(basePath, "4M", "cluster_size=16k");
        Qemu.Io(basePath, "write -P 0x31 0 1M", "write -P 0x32 1536k 1M", "write -z 3M 512k");
        var middle = temp.File("middle.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", middle);
        Qemu.Io(middle, "write -P 0x41 512k 1M", "discard 2560k 256k");
        var model = new byte[4 * 1024 * 1024];
        var raw = temp.File("chain.raw");
        Qemu.ImgOk("convert", "-O", "raw", middle, raw);
        File.ReadAllBytes(raw).CopyTo(model, 0);
        var top = temp.File("top.qcow2");
        var list = "backing_file=middle.qcow2,backing_fmt=qcow2" + (options.Length > 0 ? "," + options : "");
        using (var image = QcowImage.Create(top, QcowCreateOptions.Parse(list)))
        {
            Run(image, model, new Random(seed), hasBacking: true, backingContent: File.ReadAllBytes(raw));
        }
        AssertCleanAndEqual(top, model, temp.Path);
    }

    private static void Run(QcowImage image, byte[] model, Random random, bool hasBacking, byte[]? backingContent = null)
    {
        var size = model.Length;
        var cluster = image.ClusterSize;
        var v2 = Qemu.Info(image.FullPath)["format-specific"]!["data"]!["compat"]!.GetValue<string>() == "0.10";
        var hasDataFile = false;
        for (var op = 0; op < Operations; op++)
        {
            var kind = random.Next(100);
            if (kind < 50)
            {
                var length = 1 + random.Next(Math.Min(size, 3 * cluster));
                var offset = random.NextInt64(size - length + 1);
                if (random.Next(3) == 0)
                {
                    offset &= ~511L;
                    length = Math.Max(512, length & ~511);
                    length = (int)Math.Min(length, size - offset);
                }
                var data = new byte[length];
                random.NextBytes(data);
                image.Write(offset, data);
                data.CopyTo(model, offset);
            }
            else if (kind < 65)
            {
                var (offset, length) = Range(random, size, cluster);
                image.WriteZeroes(offset, length);
                Array.Clear(model, (int)offset, length);
            }
            else if (kind < 78)
            {
                var (offset, length) = Range(random, size, cluster);
                image.Discard(offset, length);
                for (var start = offset; start < offset + length;)
                {
                    var clusterStart = start / cluster * cluster;
                    var clusterEnd = Math.Min(clusterStart + cluster, size);
                    var end = Math.Min(offset + length, clusterEnd);
                    if (start == clusterStart && end == clusterEnd)
                    {
                        if (hasBacking && v2)
                        {
                            Array.Copy(backingContent!, clusterStart, model, clusterStart, clusterEnd - clusterStart);
                        }
                        else
                        {
                            Array.Clear(model, (int)clusterStart, (int)(clusterEnd - clusterStart));
                        }
                    }
                    start = end;
                }
            }
            else if (!hasDataFile)
            {
                var clusters = (size + cluster - 1) / cluster;
                var first = random.Next(clusters);
                var count = 1 + random.Next(Math.Min(4, clusters - first));
                var length = (int)Math.Min((long)count * cluster, size - (long)first * cluster);
                var data = random.Next(4) == 0 ? new byte[length] : Compressible(random, length);
                if (random.Next(5) == 0) random.NextBytes(data);
                image.WriteCompressed((long)first * cluster, data);
                data.CopyTo(model, (long)first * cluster);
            }
        }
        var back = new byte[size];
        image.Read(0, back);
        Assert.That(back.AsSpan().SequenceEqual(model), Is.True, "the image reads back the model before closing");
    }

    /// <summary>A range that is cluster-aligned half of the time (so whole clusters get zeroed or discarded).</summary>
    private static (long Offset, int Length) Range(Random random, int size, int cluster)
    {
        if (random.Next(2) == 0)
        {
            var clusters = (size + cluster - 1) / cluster;
            var first = random.Next(clusters);
            var count = 1 + random.Next(Math.Min(8, clusters - first));
            return ((long)first * cluster, (int)Math.Min((long)count * cluster, size - (long)first * cluster));
        }
        var length = 1 + random.Next(Math.Min(size, 4 * cluster));
        return (random.NextInt64(size - length + 1), length);
    }
}
