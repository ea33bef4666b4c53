using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace QcowKit.Seed.Partitioning;

/// <summary>
/// Where the one partition sits on a disk of a given size, and the tables that describe it. The partition
/// starts at 1 MiB (LBA 2048), as fdisk and sfdisk align it; it runs to the end of the disk (MBR) or to the
/// last usable LBA before the backup GPT entries and header (GPT).
/// </summary>
internal sealed class PartitionLayout
{
    internal const int SectorSize = 512;
    internal const long FirstLba = 2048;
    private const int GptEntrySectors = GptPartitionEntry.EntryCount * GptPartitionEntry.Size / SectorSize;

    private PartitionLayout(PartitionTableType type, long diskSectors, long volumeOffset, long volumeSectors)
    {
        Type = type;
        DiskSectors = diskSectors;
        VolumeOffset = volumeOffset;
        VolumeSectors = volumeSectors;
    }

    public PartitionTableType Type { get; }

    public long DiskSectors { get; }

    /// <summary>Byte offset of the file system.</summary>
    public long VolumeOffset { get; }

    public long VolumeSectors { get; }

    public uint HiddenSectors => (uint)(VolumeOffset / SectorSize);

    public static PartitionLayout? TryCompute(PartitionTableType type, long diskSize, out string? problem)
    {
        problem = null;
        var sectors = diskSize / SectorSize;
        switch (type)
        {
            case PartitionTableType.None:
                return new PartitionLayout(type, sectors, 0, sectors);
            case PartitionTableType.Mbr:
                if (sectors <= FirstLba)
                {
                    problem = $"a disk of {diskSize} bytes has no room for a partition after the first MiB";
                    return null;
                }
                if (sectors - FirstLba > uint.MaxValue)
                {
                    problem = $"an MBR partition holds at most {uint.MaxValue} sectors (2 TiB); use GPT for a disk of {diskSize} bytes";
                    return null;
                }
                return new PartitionLayout(type, sectors, FirstLba * SectorSize, sectors - FirstLba);
            case PartitionTableType.Gpt:
                var lastUsable = sectors - 2 - GptEntrySectors;
                if (lastUsable < FirstLba)
                {
                    problem = $"a disk of {diskSize} bytes has no room for a GPT partition after the first MiB";
                    return null;
                }
                return new PartitionLayout(type, sectors, FirstLba * SectorSize, lastUsable - FirstLba + 1);
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unknown partition table type");
        }
    }

    /// <summary>Sectors a partition table adds around a volume of the given size, for sizing a new disk.</summary>
    public static long OverheadSectors(PartitionTableType type) => type switch
    {
        PartitionTableType.None => 0,
        PartitionTableType.Mbr => FirstLba,
        _ => FirstLba + 1 + GptEntrySectors,
    };

    /// <summary>Writes the MBR, or the protective MBR plus both GPT copies, for this layout.</summary>
    public void Write(SparseWriter writer, byte mbrType, string name, string? reproducibleSeed)
    {
        if (Type == PartitionTableType.None) return;
        var sector = new byte[SectorSize];
        if (Type == PartitionTableType.Mbr)
        {
            var signature = reproducibleSeed is null
                ? BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4))
                : BinaryPrimitives.ReadUInt32LittleEndian(Hash("mbr-signature", reproducibleSeed));
            MbrPartitionRecord.Write(sector, mbrType, (uint)(VolumeOffset / SectorSize), (uint)VolumeSectors, signature);
            writer.Write(0, sector);
            return;
        }

        var protectiveSectors = (uint)Math.Min(DiskSectors - 1, uint.MaxValue);
        MbrPartitionRecord.Write(sector, MbrPartitionRecord.TypeGptProtective, 1, protectiveSectors, 0);
        writer.Write(0, sector);

        var diskGuid = reproducibleSeed is null ? Guid.NewGuid() : DerivedGuid("gpt-disk", reproducibleSeed);
        var partitionGuid = reproducibleSeed is null ? Guid.NewGuid() : DerivedGuid("gpt-partition", reproducibleSeed);
        var entries = new byte[GptEntrySectors * SectorSize];
        var firstLba = VolumeOffset / SectorSize;
        GptPartitionEntry.Write(entries, GptPartitionEntry.MicrosoftBasicData, partitionGuid, firstLba, firstLba + VolumeSectors - 1, name);
        var entriesCrc = Crc32.Compute(entries);

        var lastLba = DiskSectors - 1;
        var firstUsable = 2L + GptEntrySectors;
        var lastUsable = lastLba - 1 - GptEntrySectors;
        var backupEntriesLba = lastLba - GptEntrySectors;

        GptHeader.Write(sector, 1, lastLba, firstUsable, lastUsable, diskGuid, 2, entriesCrc);
        writer.Write(SectorSize, sector);
        writer.Write(2L * SectorSize, entries);
        writer.Write(backupEntriesLba * SectorSize, entries);
        GptHeader.Write(sector, lastLba, 1, firstUsable, lastUsable, diskGuid, backupEntriesLba, entriesCrc);
        writer.Write(lastLba * SectorSize, sector);
    }

    /// <summary>A version-4-shaped GUID derived from a seed, so reproducible images get the same GUIDs every time.</summary>
    internal static Guid DerivedGuid(string purpose, string seed)
    {
        var bytes = Hash(purpose, seed)[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static byte[] Hash(string purpose, string seed) => SHA256.HashData(Encoding.UTF8.GetBytes($"qcowkit-{purpose}:{seed}"));
}
