using QcowKit.Seed.Fat;
using QcowKit.Seed.Partitioning;

namespace QcowKit.Seed;

/// <summary>A FAT volume, optionally inside a partition table.</summary>
internal sealed class FatSeedPlan : SeedPlan
{
    private const long MiB = 1024 * 1024;
    private const long MaxAutoDiskSize = 16L * 1024 * 1024 * 1024 * 1024;
    private readonly FatVolume _volume;
    private readonly PartitionTableType _table;
    private readonly string? _reproducibleSeed;

    public FatSeedPlan(FatVolume volume, PartitionTableType table, string? reproducibleSeed)
    {
        _volume = volume;
        _table = table;
        _reproducibleSeed = reproducibleSeed;
    }

    public override long MinimumDiskSize()
    {
        // Cluster size grows with the volume, so fitting is not monotonic in the size: step up until it fits.
        var floor = _volume.Type == FatFileSystemType.Fat32 ? 32 * MiB : MiB;
        var size = Math.Max(floor, _volume.TotalFileBytes / MiB * MiB) + PartitionLayout.OverheadSectors(_table) * 512 / MiB * MiB;
        string? problem = null;
        while (size <= MaxAutoDiskSize)
        {
            if (TryPrepare(size, out _, out problem) is not null) return size;
            size += Math.Max(MiB, size / 64 / MiB * MiB);
        }
        throw new SeedException($"No disk size up to {MaxAutoDiskSize} bytes holds the content: {problem}.");
    }

    public override void Validate(long diskSize) => Prepare(diskSize);

    public override SeedResult Write(Stream disk, long diskSize, bool diskIsZeroed)
    {
        var (layout, geometry) = Prepare(diskSize);
        var writer = new SparseWriter(disk, diskIsZeroed);
        var mbrType = geometry.Type == FatFileSystemType.Fat32 ? MbrPartitionRecord.TypeFat32Lba : MbrPartitionRecord.TypeFat16Lba;
        layout.Write(writer, mbrType, _volume.Label ?? "data", _reproducibleSeed);
        _volume.Write(writer, layout.VolumeOffset, geometry, layout.HiddenSectors);
        disk.Flush();
        return new SeedResult(diskSize, writer.BytesWritten, writer.BytesSkipped)
        {
            FileSystem = geometry.Type,
            ClusterSize = geometry.ClusterSize,
            FileSystemOffset = layout.VolumeOffset,
            FileCount = _volume.FileCount,
            DirectoryCount = _volume.DirectoryCount,
        };
    }

    private (PartitionLayout Layout, FatGeometry Geometry) Prepare(long diskSize)
    {
        var result = TryPrepare(diskSize, out var geometry, out var problem);
        return result is null ? throw new SeedException($"The content does not fit: {problem}.") : (result, geometry!);
    }

    private PartitionLayout? TryPrepare(long diskSize, out FatGeometry? geometry, out string? problem)
    {
        geometry = null;
        var layout = PartitionLayout.TryCompute(_table, diskSize, out problem);
        if (layout is null) return null;
        geometry = _volume.TryPlan(layout.VolumeSectors, out problem);
        return geometry is null ? null : layout;
    }
}
