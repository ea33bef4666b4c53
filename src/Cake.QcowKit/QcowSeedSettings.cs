using Cake.Core.IO;
using QcowKit;
using QcowKit.Seed;

namespace Cake.QcowKit;

/// <summary>
/// What <see cref="QcowAliases.QcowSeed(Cake.Core.ICakeContext, FilePath, QcowSeedSettings)"/> puts on the disk
/// (exactly one of: a folder as a FAT file system, a cloud-init NoCloud seed, a copy of another image,
/// generated test data) and how the target image is made.
/// </summary>
public sealed class QcowSeedSettings
{
    /// <summary>A folder written as a FAT file system.</summary>
    public DirectoryPath? Directory { get; set; }

    /// <summary>The cloud-init <c>user-data</c> file: the disk becomes a CIDATA NoCloud seed.</summary>
    public FilePath? CloudInitUserData { get; set; }

    /// <summary>The cloud-init <c>meta-data</c> file; null writes a minimal one.</summary>
    public FilePath? CloudInitMetaData { get; set; }

    /// <summary>The cloud-init <c>network-config</c> file, if any.</summary>
    public FilePath? CloudInitNetworkConfig { get; set; }

    /// <summary>An image (raw or qcow2) whose guest bytes are copied onto the disk at <see cref="TargetOffset"/>.</summary>
    public FilePath? SourceImage { get; set; }

    /// <summary>Format of <see cref="SourceImage"/>: <c>raw</c> or <c>qcow2</c>; null probes it like qemu.</summary>
    public QcowImageFormat? SourceFormat { get; set; }

    /// <summary>Bytes of deterministic generated data written at <see cref="TargetOffset"/>.</summary>
    public long? GeneratedDataLength { get; set; }

    /// <summary>Seed of the generated data: the same seed gives the same bytes.</summary>
    public long GeneratedDataSeed { get; set; }

    /// <summary>Percentage (0 to 100) of 4 KiB blocks of generated data left all-zero.</summary>
    public int ZeroBlockPercent { get; set; }

    /// <summary>Where a copied image or generated data starts on the guest disk (a multiple of 512).</summary>
    public long TargetOffset { get; set; }

    /// <summary>FAT16, FAT32 or chosen from the size like mkfs.fat (folder and cloud-init content).</summary>
    public FatFileSystemType FileSystem { get; set; } = FatFileSystemType.Auto;

    /// <summary>Volume label of a folder's file system (cloud-init seeds are always CIDATA).</summary>
    public string? Label { get; set; }

    /// <summary>Partition table around a folder's file system.</summary>
    public PartitionTableType PartitionTable { get; set; } = PartitionTableType.None;

    /// <summary>Byte-identical output for the same input: fixed timestamps, serial number and GUIDs.</summary>
    public bool Reproducible { get; set; }

    /// <summary>Format of the target; qcow2 unless set. Null decides from the name (<c>.qcow2</c> or raw), or probes an existing target.</summary>
    public QcowImageFormat? Format { get; set; } = QcowImageFormat.Qcow2;

    /// <summary>Guest disk size of a new image; null: the smallest size the content needs.</summary>
    public long? Size { get; set; }

    /// <summary>qemu-img create options (<c>-o</c> list) for a new qcow2 target.</summary>
    public string? Qcow2Options { get; set; }

    /// <summary>Replace an existing target with a new image (without it, an existing target is an error).</summary>
    public bool Overwrite { get; set; }

    /// <summary>Write into the existing image instead of creating one; its size is kept.</summary>
    public bool UseExisting { get; set; }

    /// <summary>Seeds the disk with <paramref name="directory"/> as a FAT file system.</summary>
    public QcowSeedSettings WithDirectory(DirectoryPath directory)
    {
        Directory = directory;
        return this;
    }

    /// <summary>Seeds the disk as a cloud-init NoCloud seed.</summary>
    public QcowSeedSettings WithCloudInit(FilePath userData, FilePath? metaData = null, FilePath? networkConfig = null)
    {
        CloudInitUserData = userData;
        CloudInitMetaData = metaData;
        CloudInitNetworkConfig = networkConfig;
        return this;
    }

    /// <summary>Seeds the disk with a copy of another image's guest bytes.</summary>
    public QcowSeedSettings WithSourceImage(FilePath image, QcowImageFormat? format = null)
    {
        SourceImage = image;
        SourceFormat = format;
        return this;
    }

    /// <summary>Seeds the disk with deterministic generated data.</summary>
    public QcowSeedSettings WithGeneratedData(long length, long seed = 0, int zeroBlockPercent = 0)
    {
        GeneratedDataLength = length;
        GeneratedDataSeed = seed;
        ZeroBlockPercent = zeroBlockPercent;
        return this;
    }

    /// <summary>Sets <see cref="TargetOffset"/>.</summary>
    public QcowSeedSettings WithTargetOffset(long offset)
    {
        TargetOffset = offset;
        return this;
    }

    /// <summary>Sets <see cref="FileSystem"/>.</summary>
    public QcowSeedSettings WithFileSystem(FatFileSystemType fileSystem)
    {
        FileSystem = fileSystem;
        return this;
    }

    /// <summary>Sets <see cref="Label"/>.</summary>
    public QcowSeedSettings WithLabel(string label)
    {
        Label = label;
        return this;
    }

    /// <summary>Sets <see cref="PartitionTable"/>.</summary>
    public QcowSeedSettings WithPartitionTable(PartitionTableType partitionTable)
    {
        PartitionTable = partitionTable;
        return this;
    }

    /// <summary>Sets <see cref="Reproducible"/>.</summary>
    public QcowSeedSettings WithReproducible(bool reproducible = true)
    {
        Reproducible = reproducible;
        return this;
    }

    /// <summary>Sets <see cref="Format"/>.</summary>
    public QcowSeedSettings WithFormat(QcowImageFormat? format)
    {
        Format = format;
        return this;
    }

    /// <summary>Sets <see cref="Size"/>.</summary>
    public QcowSeedSettings WithSize(long bytes)
    {
        Size = bytes;
        return this;
    }

    /// <summary>Sets <see cref="Size"/> from qemu's size syntax (<c>256M</c>, <c>0x100000</c>, <c>1.5G</c>), parsed by the engine as on every surface.</summary>
    /// <exception cref="QcowOptionsException">The text is not a size.</exception>
    public QcowSeedSettings WithSize(string size)
    {
        Size = QemuSize.Parse(size);
        return this;
    }

    /// <summary>Sets <see cref="Qcow2Options"/>.</summary>
    public QcowSeedSettings WithQcow2Options(string optionList)
    {
        Qcow2Options = optionList;
        return this;
    }

    /// <summary>Sets <see cref="Overwrite"/>.</summary>
    public QcowSeedSettings WithOverwrite(bool overwrite = true)
    {
        Overwrite = overwrite;
        return this;
    }

    /// <summary>Sets <see cref="UseExisting"/>.</summary>
    public QcowSeedSettings WithExistingImage(bool useExisting = true)
    {
        UseExisting = useExisting;
        return this;
    }

    internal SeedTargetOptions ToTargetOptions() => new()
    {
        Format = Format,
        Size = Size,
        Qcow2Options = Qcow2Options,
        Overwrite = Overwrite,
        UseExisting = UseExisting,
    };
}
