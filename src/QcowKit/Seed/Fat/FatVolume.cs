using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace QcowKit.Seed.Fat;

/// <summary>
/// A FAT volume to be written: the tree, the label and serial. <see cref="Plan"/> lays it out for a volume
/// size and checks that everything fits (nothing is written then); <see cref="Write"/> allocates clusters
/// contiguously in tree order and writes boot sectors, FATs, folders and file data through a sparse writer.
/// </summary>
internal sealed class FatVolume
{
    private const int CopyBufferSize = 1024 * 1024;
    private const int FatChunkEntries = 16 * 1024;

    public FatVolume(FatDirectory root, FatFileSystemType type, string? label, uint serial, DateTime labelTimestamp)
    {
        Root = root;
        Type = type;
        Label = label;
        Serial = serial;
        LabelTimestamp = FatTimestamp.From(labelTimestamp);
        (FileCount, DirectoryCount, TotalFileBytes) = Count(root);
    }

    public FatDirectory Root { get; }

    public FatFileSystemType Type { get; }

    public string? Label { get; }

    public uint Serial { get; }

    public FatTimestamp LabelTimestamp { get; }

    public int FileCount { get; }

    public int DirectoryCount { get; }

    public long TotalFileBytes { get; }

    /// <summary>Checks a volume label and returns it upper-cased as stored, or explains what is wrong.</summary>
    public static string NormalizeLabel(string label)
    {
        var upper = label.ToUpperInvariant();
        if (upper.Length is 0 or > 11) throw new SeedException($"Volume label '{label}' must be 1 to 11 characters.");
        if (upper[0] == ' ') throw new SeedException($"Volume label '{label}' must not start with a space.");
        foreach (var c in upper)
        {
            if (c != ' ' && !FatShortName.IsValidShortChar(c))
            {
                throw new SeedException($"Volume label '{label}' contains '{c}'; a label takes letters, digits, spaces and !#$%&'()-@^_`{{}}~.");
            }
        }
        return upper;
    }

    /// <summary>A serial number derived from a seed (reproducible) or random.</summary>
    public static uint MakeSerial(string? reproducibleSeed)
    {
        if (reproducibleSeed is null) return BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("qcowkit-fat-serial:" + reproducibleSeed));
        return BinaryPrimitives.ReadUInt32LittleEndian(hash);
    }

    /// <summary>Lays the volume out in <paramref name="volumeSectors"/> sectors; throws <see cref="SeedException"/> when the content does not fit.</summary>
    public FatGeometry Plan(long volumeSectors)
    {
        var geometry = TryPlan(volumeSectors, out var problem);
        return geometry ?? throw new SeedException(problem!);
    }

    public FatGeometry? TryPlan(long volumeSectors, out string? problem)
    {
        var rootEntries = Root.EntriesNeeded(isRoot: true, hasLabel: Label is not null);
        var geometry = FatGeometry.TryCompute(volumeSectors, Type, Type == FatFileSystemType.Fat32 ? 0 : rootEntries, out problem);
        if (geometry is null) return null;
        if (geometry.Type == FatFileSystemType.Fat16 && rootEntries > geometry.RootEntries)
        {
            problem = $"the root folder needs {rootEntries} entries; the FAT16 root holds {geometry.RootEntries}";
            return null;
        }
        var needed = ClustersNeeded(Root, geometry, isRoot: true);
        if (needed > geometry.ClusterCount)
        {
            problem = $"the content needs {needed} clusters of {geometry.ClusterSize} bytes ({needed * geometry.ClusterSize} bytes) " +
                $"but the {geometry.Type.ToString().ToUpperInvariant()} volume of {volumeSectors * FatGeometry.SectorSize} bytes has {geometry.ClusterCount}";
            return null;
        }
        return geometry;
    }

    /// <summary>Writes the whole volume at <paramref name="volumeOffset"/> on the disk.</summary>
    public void Write(SparseWriter writer, long volumeOffset, FatGeometry geometry, uint hiddenSectors)
    {
        var runs = new List<(uint First, uint Count)>();
        var next = 2u;
        if (geometry.Type == FatFileSystemType.Fat32) Allocate(Root, geometry, ref next, runs, isRoot: true);
        else AllocateChildren(Root, geometry, ref next, runs);
        var used = next - 2;

        WriteBootArea(writer, volumeOffset, geometry, hiddenSectors, used);
        for (var copy = 0; copy < FatGeometry.FatCount; copy++)
        {
            WriteFat(writer, volumeOffset + geometry.FatOffset(copy), geometry, runs, next);
        }
        WriteDirectory(writer, volumeOffset, geometry, Root, parent: null);
        WriteFiles(writer, volumeOffset, geometry, Root);
    }

    private static (int Files, int Directories, long Bytes) Count(FatDirectory directory)
    {
        int files = 0, directories = 0;
        long bytes = 0;
        foreach (var child in directory.Children)
        {
            if (child is FatFile file)
            {
                files++;
                bytes += file.Length;
            }
            else if (child is FatDirectory sub)
            {
                var (f, d, b) = Count(sub);
                files += f;
                directories += d + 1;
                bytes += b;
            }
        }
        return (files, directories, bytes);
    }

    private long ClustersNeeded(FatDirectory directory, FatGeometry geometry, bool isRoot)
    {
        long clusters = 0;
        if (!isRoot || geometry.Type == FatFileSystemType.Fat32)
        {
            clusters += DirectoryClusters(directory, geometry, isRoot);
        }
        foreach (var child in directory.Children)
        {
            clusters += child switch
            {
                FatFile file => (file.Length + geometry.ClusterSize - 1) / geometry.ClusterSize,
                FatDirectory sub => ClustersNeeded(sub, geometry, isRoot: false),
                _ => 0,
            };
        }
        return clusters;
    }

    private int DirectoryClusters(FatDirectory directory, FatGeometry geometry, bool isRoot)
    {
        var bytes = (long)directory.EntriesNeeded(isRoot, Label is not null) * FatDirectoryEntry.Size;
        return (int)Math.Max(1, (bytes + geometry.ClusterSize - 1) / geometry.ClusterSize);
    }

    private void Allocate(FatDirectory directory, FatGeometry geometry, ref uint next, List<(uint, uint)> runs, bool isRoot)
    {
        directory.ClusterCount = DirectoryClusters(directory, geometry, isRoot);
        directory.FirstCluster = next;
        runs.Add((next, (uint)directory.ClusterCount));
        next += (uint)directory.ClusterCount;
        AllocateChildren(directory, geometry, ref next, runs);
    }

    private void AllocateChildren(FatDirectory directory, FatGeometry geometry, ref uint next, List<(uint, uint)> runs)
    {
        foreach (var child in directory.Children)
        {
            if (child is FatFile { Length: > 0 } file)
            {
                var count = (uint)((file.Length + geometry.ClusterSize - 1) / geometry.ClusterSize);
                file.FirstCluster = next;
                runs.Add((next, count));
                next += count;
            }
        }
        foreach (var child in directory.Children)
        {
            if (child is FatDirectory sub) Allocate(sub, geometry, ref next, runs, isRoot: false);
        }
    }

    private void WriteBootArea(SparseWriter writer, long volumeOffset, FatGeometry geometry, uint hiddenSectors, uint used)
    {
        // On a disk that already holds data, stale sectors and FAT entries past the allocation must read as zero.
        writer.Zero(volumeOffset, (long)geometry.ReservedSectors * FatGeometry.SectorSize);
        var sector = new byte[FatGeometry.SectorSize];
        FatBootSector.Write(sector, geometry, Serial, Label ?? "NO NAME", hiddenSectors);
        writer.Write(volumeOffset, sector);
        if (geometry.Type != FatFileSystemType.Fat32) return;

        writer.Write(volumeOffset + (long)FatBootSector.Fat32BackupBootSector * FatGeometry.SectorSize, sector);
        var free = (uint)(geometry.ClusterCount - used);
        var nextFree = used + 2 < geometry.ClusterCount + 2 ? used + 2 : uint.MaxValue;
        FatFsInfo.Write(sector, free, nextFree);
        writer.Write(volumeOffset + (long)FatBootSector.Fat32FsInfoSector * FatGeometry.SectorSize, sector);
        writer.Write(volumeOffset + (long)(FatBootSector.Fat32BackupBootSector + FatBootSector.Fat32FsInfoSector) * FatGeometry.SectorSize, sector);
    }

    /// <summary>
    /// Streams the FAT entries for clusters 0..end-1 in chunks: the media/clean-shutdown entries, then each run
    /// chained to its next cluster and closed with end-of-chain. Entries past the allocation stay zero (free)
    /// and are never written.
    /// </summary>
    private static void WriteFat(SparseWriter writer, long fatOffset, FatGeometry geometry, List<(uint First, uint Count)> runs, uint end)
    {
        var fat32 = geometry.Type == FatFileSystemType.Fat32;
        var entryBytes = fat32 ? 4 : 2;
        var endOfChain = fat32 ? 0x0FFFFFFFu : 0xFFFFu;
        var buffer = new byte[FatChunkEntries * entryBytes];
        var runIndex = 0;
        for (var chunkStart = 0u; chunkStart < end; chunkStart += FatChunkEntries)
        {
            var chunkEnd = Math.Min(end, chunkStart + FatChunkEntries);
            var span = buffer.AsSpan(0, (int)(chunkEnd - chunkStart) * entryBytes);
            for (var cluster = chunkStart; cluster < chunkEnd; cluster++)
            {
                uint value;
                if (cluster == 0) value = fat32 ? 0x0FFFFF00u | FatBootSector.Media : 0xFF00u | FatBootSector.Media;
                else if (cluster == 1) value = endOfChain;
                else
                {
                    while (runs[runIndex].First + runs[runIndex].Count <= cluster) runIndex++;
                    value = cluster == runs[runIndex].First + runs[runIndex].Count - 1 ? endOfChain : cluster + 1;
                }
                var at = (int)(cluster - chunkStart) * entryBytes;
                if (fat32) BinaryPrimitives.WriteUInt32LittleEndian(span[at..], value);
                else BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)value);
            }
            writer.Write(fatOffset + (long)chunkStart * entryBytes, span);
        }
        var fatBytes = (long)geometry.FatSectors * FatGeometry.SectorSize;
        writer.Zero(fatOffset + (long)end * entryBytes, fatBytes - (long)end * entryBytes);
    }

    private void WriteDirectory(SparseWriter writer, long volumeOffset, FatGeometry geometry, FatDirectory directory, FatDirectory? parent)
    {
        var isRoot = parent is null;
        var fixedRoot = isRoot && geometry.Type != FatFileSystemType.Fat32;
        var length = fixedRoot ? geometry.RootEntries * FatDirectoryEntry.Size : directory.ClusterCount * geometry.ClusterSize;
        var buffer = new byte[length];
        var at = 0;
        if (isRoot)
        {
            if (Label is not null)
            {
                FatDirectoryEntry.Write(buffer.AsSpan(at), Encoding.ASCII.GetBytes(Label.PadRight(11)), FatDirectoryEntry.AttributeVolumeId,
                    LabelTimestamp, 0, 0);
                at += FatDirectoryEntry.Size;
            }
        }
        else
        {
            // "..": cluster 0 means the root, also on FAT32 where the root has a real cluster.
            var parentCluster = parent!.Path == "/" ? 0u : parent.FirstCluster;
            FatDirectoryEntry.Write(buffer.AsSpan(at), ".          "u8,
                FatDirectoryEntry.AttributeDirectory, directory.Timestamp, directory.FirstCluster, 0);
            at += FatDirectoryEntry.Size;
            FatDirectoryEntry.Write(buffer.AsSpan(at), "..         "u8,
                FatDirectoryEntry.AttributeDirectory, directory.Timestamp, parentCluster, 0);
            at += FatDirectoryEntry.Size;
        }
        foreach (var child in directory.Children)
        {
            if (child.NeedsLongName)
            {
                at += FatLongNameEntry.Write(buffer.AsSpan(at), child.Name, FatShortName.Checksum(child.ShortName));
            }
            var (attributes, size) = child is FatFile file
                ? (FatDirectoryEntry.AttributeArchive, (uint)file.Length)
                : (FatDirectoryEntry.AttributeDirectory, 0u);
            FatDirectoryEntry.Write(buffer.AsSpan(at), child.ShortName, attributes, child.Timestamp, child.FirstCluster, size);
            at += FatDirectoryEntry.Size;
        }
        var offset = fixedRoot ? geometry.RootDirectoryOffset : geometry.ClusterOffset(directory.FirstCluster);
        writer.Write(volumeOffset + offset, buffer);

        foreach (var child in directory.Children)
        {
            if (child is FatDirectory sub) WriteDirectory(writer, volumeOffset, geometry, sub, directory);
        }
    }

    private static void WriteFiles(SparseWriter writer, long volumeOffset, FatGeometry geometry, FatDirectory directory)
    {
        byte[]? buffer = null;
        try
        {
            foreach (var child in directory.Children)
            {
                if (child is FatFile { Length: > 0 } file)
                {
                    buffer ??= ArrayPool<byte>.Shared.Rent(CopyBufferSize);
                    CopyFile(writer, volumeOffset + geometry.ClusterOffset(file.FirstCluster), file, buffer);
                }
            }
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
        foreach (var child in directory.Children)
        {
            if (child is FatDirectory sub) WriteFiles(writer, volumeOffset, geometry, sub);
        }
    }

    private static void CopyFile(SparseWriter writer, long offset, FatFile file, byte[] buffer)
    {
        using var source = file.Open();
        long copied = 0;
        while (copied < file.Length)
        {
            var want = (int)Math.Min(buffer.Length, file.Length - copied);
            var read = source.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
            if (read < want)
            {
                throw new SeedException($"'{file.Origin}' shrank while it was being written: {file.Length} bytes expected, {copied + read} read.");
            }
            writer.Write(offset + copied, buffer.AsSpan(0, read));
            copied += read;
        }
        if (source.ReadByte() >= 0)
        {
            throw new SeedException($"'{file.Origin}' grew while it was being written: more than {file.Length} bytes.");
        }
    }
}
