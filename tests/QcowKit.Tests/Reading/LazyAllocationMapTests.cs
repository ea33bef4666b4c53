using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

/// <summary>
/// The allocation map is produced range by range: a caller that stops early (or streams, as
/// <c>qcowkit map</c> does) never makes the engine walk, or hold, the whole image's L2 tables.
/// </summary>
[TestFixture]
public sealed class LazyAllocationMapTests
{
    private const int L2Tables = 64;

    /// <summary>A 1 TiB image with one written cluster under each of the first <see cref="L2Tables"/> L2 tables (each maps 512 MiB).</summary>
    private static string ImageWithManyL2Tables(TempDirectory temp)
    {
        var path = temp.File("large.qcow2");
        Qemu.CreateQcow2(path, "1T");
        Qemu.Io(path, [.. Enumerable.Range(0, L2Tables).Select(i => $"write -q -P 0x5a {(long)i << 29} 512")]);
        return path;
    }

    [Test]
    public void Taking_the_first_range_loads_one_L2_table_not_every_one()
    {
        using var temp = new TempDirectory("lazy-map");
        var path = ImageWithManyL2Tables(temp);
        using var image = QcowImage.Open(path, new QcowOpenOptions { L2CacheBytes = 2 * L2Tables * 65536L });

        var first = image.GetAllocationMap().First();

        Assert.That(first, Is.EqualTo(new AllocationRange(0, 65536, 0, true, false, true, first.Offset, false, image.FileName)));
        Assert.That(image.L2Cache.Count, Is.EqualTo(1), "L2 tables loaded to produce the first range");
        Assert.That(image.GetAllocationMap().Count(range => range.Data), Is.EqualTo(L2Tables));
        Assert.That(image.L2Cache.Count, Is.EqualTo(L2Tables), "the whole map does load every L2 table, so the first count means something");
    }
}
