using QcowKit.Seed;
using QcowKit.Seed.Fat;

namespace QcowKit.Tests.Seed;

public sealed class FatGeometryTests
{
    [TestCase(FatFileSystemType.Fat16, 3L * 1024 * 1024, 4085L, 65524L)]
    [TestCase(FatFileSystemType.Fat16, 4000L * 1024 * 1024, 4085L, 65524L)]
    [TestCase(FatFileSystemType.Fat32, 34L * 1024 * 1024, 65525L, 0x0FFFFFF3L)]
    [TestCase(FatFileSystemType.Fat32, 1024L * 1024 * 1024 * 1024, 65525L, 0x0FFFFFF3L)]
    public void Cluster_count_stays_inside_the_range_that_decides_the_fat_type(FatFileSystemType type, long bytes, long min, long max)
    {
        var geometry = FatGeometry.TryCompute(bytes / 512, type, 0, out var problem);

        Assert.That(geometry, Is.Not.Null, problem);
        Assert.That(geometry!.ClusterCount, Is.InRange(min, max));
        Assert.That(geometry.DataStartSector % geometry.SectorsPerCluster, Is.Zero, "data area aligned to the cluster size");
        var entryBytes = type == FatFileSystemType.Fat32 ? 4 : 2;
        Assert.That((long)geometry.FatSectors * 512, Is.GreaterThanOrEqualTo((geometry.ClusterCount + 2) * entryBytes), "the FAT covers every cluster");
    }

    [TestCase(FatFileSystemType.Fat16, 2L * 1024 * 1024, "too small for FAT16")]
    [TestCase(FatFileSystemType.Fat16, 5L * 1024 * 1024 * 1024, "too large for FAT16")]
    [TestCase(FatFileSystemType.Fat32, 32L * 1024 * 1024, "too small for FAT32")]
    [TestCase(FatFileSystemType.Fat32, 3L * 1024 * 1024 * 1024 * 1024, "2 TiB")]
    public void Sizes_a_fat_type_cannot_hold_are_explained(FatFileSystemType type, long bytes, string expected)
    {
        var geometry = FatGeometry.TryCompute(bytes / 512, type, 0, out var problem);

        Assert.That(geometry, Is.Null);
        Assert.That(problem, Does.Contain(expected));
    }
}
