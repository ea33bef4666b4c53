namespace QcowKit.Seed.Fat;

/// <summary>
/// The layout of a FAT volume: reserved sectors, two FATs, the FAT16 root directory and the data area, with
/// every region aligned to the cluster size as mkfs.fat aligns them. Cluster sizes follow mkfs.fat (which
/// follows Microsoft's tables): FAT32 512 B up to 260 MiB, 4 KiB up to 8 GiB, then 8, 16, 32 KiB;
/// FAT16 starts at 2 KiB and doubles until the cluster count fits.
/// </summary>
internal sealed record FatGeometry(
    FatFileSystemType Type,
    long VolumeSectors,
    int SectorsPerCluster,
    int ReservedSectors,
    int FatSectors,
    int RootEntries,
    long ClusterCount)
{
    internal const int SectorSize = 512;
    internal const int FatCount = 2;
    internal const long MinFat16Clusters = 4085;
    internal const long MaxFat16Clusters = 65524;
    internal const long MinFat32Clusters = 65525;
    internal const long MaxFat32Clusters = 0x0FFFFFF5 - 2;
    internal const long AutoFat32Threshold = 512L * 1024 * 1024;
    private const int DefaultFat16RootEntries = 512;

    public int ClusterSize => SectorsPerCluster * SectorSize;

    public int RootDirectorySectors => RootEntries * FatDirectoryEntry.Size / SectorSize;

    public long DataStartSector => ReservedSectors + (long)FatCount * FatSectors + RootDirectorySectors;

    /// <summary>Byte offset (from the volume start) of a data cluster; clusters are numbered from 2.</summary>
    public long ClusterOffset(long cluster) => (DataStartSector + (cluster - 2) * SectorsPerCluster) * SectorSize;

    public long FatOffset(int copy) => ((long)ReservedSectors + (long)copy * FatSectors) * SectorSize;

    public long RootDirectoryOffset => ((long)ReservedSectors + (long)FatCount * FatSectors) * SectorSize;

    /// <summary>
    /// Lays out a volume of <paramref name="volumeSectors"/> sectors, or explains why it cannot be done
    /// (returns null and sets <paramref name="problem"/>).
    /// </summary>
    public static FatGeometry? TryCompute(long volumeSectors, FatFileSystemType requested, int rootEntriesNeeded, out string? problem)
    {
        var type = requested != FatFileSystemType.Auto ? requested
            : volumeSectors * SectorSize >= AutoFat32Threshold ? FatFileSystemType.Fat32 : FatFileSystemType.Fat16;
        problem = null;
        if (volumeSectors > uint.MaxValue)
        {
            problem = $"{Describe(volumeSectors)} is too large for FAT, whose sector count is 32 bits (2 TiB)";
            return null;
        }
        if (type == FatFileSystemType.Fat32)
        {
            var spc = volumeSectors <= 532_480 ? 1 : volumeSectors <= 16_777_216 ? 8 : volumeSectors <= 33_554_432 ? 16
                : volumeSectors <= 67_108_864 ? 32 : 64;
            var geometry = Layout(volumeSectors, type, spc, 0);
            while ((geometry is null || geometry.ClusterCount < MinFat32Clusters) && spc > 1)
            {
                spc /= 2;
                geometry = Layout(volumeSectors, type, spc, 0);
            }
            if (geometry is null || geometry.ClusterCount < MinFat32Clusters)
            {
                problem = $"{Describe(volumeSectors)} is too small for FAT32, which needs {MinFat32Clusters} clusters (about 33 MiB); use FAT16";
                return null;
            }
            if (geometry.ClusterCount > MaxFat32Clusters)
            {
                problem = $"{Describe(volumeSectors)} is too large for FAT32";
                return null;
            }
            return geometry;
        }
        else
        {
            var rootEntries = Math.Max(DefaultFat16RootEntries, rootEntriesNeeded);
            if (rootEntries > 65520)
            {
                problem = $"the FAT16 root folder needs {rootEntriesNeeded} entries; at most 65520 fit";
                return null;
            }
            var spc = 4;
            var geometry = Layout(volumeSectors, type, spc, rootEntries);
            while (geometry is not null && geometry.ClusterCount > MaxFat16Clusters && spc < 128)
            {
                spc *= 2;
                geometry = Layout(volumeSectors, type, spc, rootEntries);
            }
            if (geometry is not null && geometry.ClusterCount > MaxFat16Clusters)
            {
                problem = $"{Describe(volumeSectors)} is too large for FAT16 (at most {MaxFat16Clusters} clusters of 64 KiB); use FAT32";
                return null;
            }
            while ((geometry is null || geometry.ClusterCount < MinFat16Clusters) && spc > 1)
            {
                spc /= 2;
                geometry = Layout(volumeSectors, type, spc, rootEntries);
            }
            if (geometry is null || geometry.ClusterCount < MinFat16Clusters)
            {
                problem = $"{Describe(volumeSectors)} is too small for FAT16, which needs {MinFat16Clusters} clusters (about 2.1 MiB)";
                return null;
            }
            return geometry;
        }
    }

    private static FatGeometry? Layout(long volumeSectors, FatFileSystemType type, int spc, int rootEntries)
    {
        var entryBytes = type == FatFileSystemType.Fat32 ? 4 : 2;
        var reserved = RoundUp(type == FatFileSystemType.Fat32 ? 32 : 1, spc);
        var rootSectors = RoundUp((rootEntries * FatDirectoryEntry.Size + SectorSize - 1) / SectorSize, spc);
        var entries = rootSectors * SectorSize / FatDirectoryEntry.Size;
        if (entries > 65535)
        {
            rootSectors -= spc;
            entries = rootSectors * SectorSize / FatDirectoryEntry.Size;
        }

        long FatSectorsFor(long clusters) => RoundUp(((clusters + 2) * entryBytes + SectorSize - 1) / SectorSize, spc);
        long ClustersFor(long fat) => (volumeSectors - reserved - FatCount * fat - rootSectors) / spc;

        // Start from an upper bound (all sectors as clusters), then shrink while the smaller FAT still covers.
        var fatSectors = FatSectorsFor((volumeSectors - reserved - rootSectors) / spc);
        while (true)
        {
            var clusters = ClustersFor(fatSectors);
            if (clusters <= 0) return null;
            var needed = FatSectorsFor(clusters);
            if (needed >= fatSectors) break;
            if (FatSectorsFor(ClustersFor(needed)) > needed) break;
            fatSectors = needed;
        }
        var clusterCount = ClustersFor(fatSectors);
        if (clusterCount <= 0 || fatSectors > int.MaxValue) return null;
        return new FatGeometry(type, volumeSectors, spc, reserved, (int)fatSectors, entries, clusterCount);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static string Describe(long sectors) =>
        $"a volume of {sectors * SectorSize} bytes";
}
