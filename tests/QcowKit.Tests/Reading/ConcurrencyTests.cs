using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

public class ConcurrencyTests
{
    [Test]
    public void Parallel_reads_at_different_offsets_return_the_same_bytes_as_a_sequential_read()
    {
        using var temp = new TempDirectory("parallel");
        var path = temp.File("image.qcow2");
        // 4 KiB clusters and a tiny cache: many L2 tables, constant eviction under contention.
        Qemu.CreateQcow2(path, "8M", "cluster_size=4096");
        Qemu.Io(path, "write -P 0x12 0 3M", "write -c -P 0x34 4M 64k", "write -P 0x56 5M 2M", "write -z 6M 64k");
        using var image = QcowImage.Open(path, new QcowOpenOptions { L2CacheBytes = 4096 });
        var expected = new byte[image.VirtualSize];
        image.Read(0, expected);
        var chunk = 48 * 1024 + 512;
        var offsets = Enumerable.Range(0, (int)(image.VirtualSize / chunk)).Select(i => (long)i * chunk).Reverse().ToArray();
        Parallel.ForEach(offsets, new ParallelOptions { MaxDegreeOfParallelism = 8 }, offset =>
        {
            var buffer = new byte[chunk];
            image.Read(offset, buffer);
            Assert.That(buffer.AsSpan().SequenceEqual(expected.AsSpan((int)offset, chunk)), Is.True, $"bytes at {offset}");
        });
        Assert.That(image.L2Cache.Count, Is.LessThanOrEqualTo(image.L2Cache.Capacity));
        Assert.That(GuestBytes.Sha256(image), Is.EqualTo(Qemu.RawSha256(path)));
    }

    [Test]
    public void Stream_seeks_and_reads_across_cluster_boundaries()
    {
        using var temp = new TempDirectory("seek");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M");
        Qemu.Io(path, "write -P 0xaa 65000 1000");
        using var image = QcowImage.Open(path);
        using var stream = image.OpenStream();
        Assert.That(stream.CanSeek && stream.CanRead && !stream.CanWrite, Is.True);
        stream.Seek(64999, SeekOrigin.Begin);
        var buffer = new byte[1002];
        stream.ReadExactly(buffer);
        Assert.That(buffer[0], Is.Zero);
        Assert.That(buffer[1..1001], Is.All.EqualTo((byte)0xaa));
        Assert.That(buffer[1001], Is.Zero);
        stream.Seek(-10, SeekOrigin.End);
        Assert.That(stream.Read(new byte[100]), Is.EqualTo(10));
        Assert.That(stream.Read(new byte[100]), Is.Zero);
    }
}
