using System.Globalization;
using Microsoft.Build.Framework;
using QcowKit.Seed;

namespace QcowKit.Tasks;

/// <summary>
/// Puts content into a disk image, as <c>qcowkit seed</c> does: a folder as a FAT file system (optionally
/// partitioned), a cloud-init NoCloud seed, a raw image copied at an offset, or deterministic test data.
/// Give exactly one of <see cref="SourceDirectory"/>, <see cref="UserData"/>, <see cref="CopyFrom"/> and
/// <see cref="GeneratedLength"/>. <see cref="Image"/> is also an output for <c>FileWrites</c>.
/// </summary>
/// <example>
/// <code>
/// &lt;QcowSeed Image="$(IntermediateOutputPath)data.qcow2" SourceDirectory="disk-content" Label="DATA" Reproducible="true"&gt;
///   &lt;Output TaskParameter="Image" ItemName="FileWrites" /&gt;
/// &lt;/QcowSeed&gt;
/// </code>
/// </example>
public sealed class QcowSeed : QcowTask
{
    /// <summary>The image to write (qcow2 for <c>.qcow2</c> names, raw otherwise).</summary>
    [Required]
    [Output]
    public ITaskItem Image { get; set; } = null!;

    /// <summary>A folder whose tree becomes the root of a FAT file system.</summary>
    public ITaskItem? SourceDirectory { get; set; }

    /// <summary>cloud-init: the file written as <c>user-data</c> (makes a NoCloud CIDATA seed).</summary>
    public ITaskItem? UserData { get; set; }

    /// <summary>cloud-init: the file written as <c>meta-data</c> (default <c>instance-id: iid-local01</c>).</summary>
    public ITaskItem? MetaData { get; set; }

    /// <summary>cloud-init: the file written as <c>network-config</c>.</summary>
    public ITaskItem? NetworkConfig { get; set; }

    /// <summary>cloud-init: the file written as <c>vendor-data</c>.</summary>
    public ITaskItem? VendorData { get; set; }

    /// <summary>A raw image copied into the target at <see cref="Offset"/>.</summary>
    public ITaskItem? CopyFrom { get; set; }

    /// <summary>Bytes of deterministic generated data to write at <see cref="Offset"/> (a qemu-style size).</summary>
    public string? GeneratedLength { get; set; }

    /// <summary>Seed of the generated data.</summary>
    public long Seed { get; set; }

    /// <summary>Percentage of 4 KiB blocks of generated data left zero.</summary>
    public int ZeroBlockPercent { get; set; }

    /// <summary>Guest byte offset (multiple of 512) for <see cref="CopyFrom"/> and generated data.</summary>
    public string? Offset { get; set; }

    /// <summary>FAT volume label.</summary>
    public string? Label { get; set; }

    /// <summary><c>auto</c> (default), <c>fat16</c> or <c>fat32</c>.</summary>
    public string? FileSystem { get; set; }

    /// <summary><c>none</c> (default), <c>mbr</c> or <c>gpt</c>.</summary>
    public string? PartitionTable { get; set; }

    /// <summary>Byte-identical output for the same input (fixed timestamps, serial and GUIDs).</summary>
    public bool Reproducible { get; set; }

    /// <summary>A fixed timestamp for every FAT entry (ISO 8601); default: the files' times, or 1980-01-01 when reproducible.</summary>
    public string? Timestamp { get; set; }

    /// <summary>qemu-img create options (<c>-o</c> list) for a new qcow2 image, e.g. <c>cluster_size=4k,compression_type=zstd</c>.</summary>
    public string? Options { get; set; }

    /// <summary>Size of a new image (qemu-style); default: the smallest the content needs.</summary>
    public string? Size { get; set; }

    /// <summary>Replace an existing image (default true, so that a rebuild regenerates it).</summary>
    public bool Overwrite { get; set; } = true;

    /// <summary>Write into the existing image (e.g. one QcowCreate made) instead of creating one.</summary>
    public bool UseExisting { get; set; }

    /// <summary>Bytes written to the image (zero blocks are skipped).</summary>
    [Output]
    public long BytesWritten { get; private set; }

    /// <summary>Size of the guest disk in bytes.</summary>
    [Output]
    public long DiskSize { get; private set; }

    /// <summary>Files written into the file system.</summary>
    [Output]
    public int FileCount { get; private set; }

    /// <inheritdoc />
    protected override void Run()
    {
        var path = Image.GetMetadata("FullPath");
        if (!TryParseOptions(path, out var target, out var offset, out var fileSystem, out var partitionTable, out var timestamp, out var generatedLength)) return;

        CancellationToken.ThrowIfCancellationRequested();
        var request = new QcowSeedRequest
        {
            Directory = SourceDirectory is null ? null : new FatSeedOptions
            {
                SourceDirectory = SourceDirectory.GetMetadata("FullPath"),
                Label = Label,
                FileSystem = fileSystem,
                PartitionTable = partitionTable,
                Reproducible = Reproducible,
                Timestamp = timestamp,
            },
            CloudInit = UserData is null ? null : new CloudInitSeedOptions
            {
                UserDataPath = UserData.GetMetadata("FullPath"),
                MetaDataPath = MetaData?.GetMetadata("FullPath"),
                NetworkConfigPath = NetworkConfig?.GetMetadata("FullPath"),
                VendorDataPath = VendorData?.GetMetadata("FullPath"),
                Label = string.IsNullOrEmpty(Label) ? "CIDATA" : Label,
                Reproducible = Reproducible,
                Timestamp = timestamp,
            },
            CopyImage = CopyFrom is null ? null : new ImageCopySeedOptions { SourcePath = CopyFrom.GetMetadata("FullPath"), TargetOffset = offset },
            GeneratedData = generatedLength is not { } length ? null : new GeneratedDataSeedOptions
            {
                Length = length,
                Seed = Seed,
                ZeroBlockPercent = ZeroBlockPercent,
                TargetOffset = offset,
            },
            Target = target,
        };
        SeedResult result;
        try
        {
            result = QcowSeeder.Seed(path, request, CancellationToken);
        }
        catch (SeedException exception) when (request.ContentCount != 1)
        {
            LogErrorFor(path, "SeedContentChoice", path, exception.Message);
            return;
        }
        catch (Exception exception) when (ImageFile.IsImageProblem(exception))
        {
            if (!ImageFile.LogIfLocked(this, exception)) LogErrorFor(path, "SeedFailed", path, exception.Message);
            return;
        }
        BytesWritten = result.BytesWritten;
        DiskSize = result.DiskSize;
        FileCount = result.FileCount;
        Log.LogMessageFromResources(MessageImportance.Normal, "Seeded", path, result.BytesWritten, result.DiskSize, result.FileCount);
    }

    private bool TryParseOptions(string path, out SeedTargetOptions target, out long offset, out FatFileSystemType fileSystem,
        out PartitionTableType partitionTable, out DateTime? timestamp, out long? generatedLength)
    {
        offset = 0;
        generatedLength = null;
        timestamp = null;
        fileSystem = FatFileSystemType.Auto;
        partitionTable = PartitionTableType.None;
        var ok = true;
        long? size = null;
        if (!string.IsNullOrWhiteSpace(Size))
        {
            ok &= TryParse(path, nameof(Size), Size, text => (long?)QemuSize.Parse(text), out size);
        }
        target = new SeedTargetOptions
        {
            Overwrite = Overwrite,
            UseExisting = UseExisting,
            Qcow2Options = string.IsNullOrWhiteSpace(Options) ? null : Options,
            Size = size,
        };
        if (!string.IsNullOrWhiteSpace(Offset))
        {
            ok &= TryParse(path, nameof(Offset), Offset, QemuSize.Parse, out offset);
        }
        if (!string.IsNullOrWhiteSpace(GeneratedLength))
        {
            ok &= TryParse(path, nameof(GeneratedLength), GeneratedLength, text => (long?)QemuSize.Parse(text), out generatedLength);
        }
        if (!string.IsNullOrWhiteSpace(FileSystem))
        {
            ok &= TryParse(path, nameof(FileSystem), FileSystem, SeedNames.ParseFileSystem, out fileSystem);
        }
        if (!string.IsNullOrWhiteSpace(PartitionTable))
        {
            ok &= TryParse(path, nameof(PartitionTable), PartitionTable, SeedNames.ParsePartitionTable, out partitionTable);
        }
        if (!string.IsNullOrWhiteSpace(Timestamp))
        {
            ok &= TryParse(path, nameof(Timestamp), Timestamp, text => (DateTime?)SeedTimestamp.Parse(text), out timestamp);
        }
        if (ZeroBlockPercent is < 0 or > 100)
        {
            ok = Invalid(path, nameof(ZeroBlockPercent), ZeroBlockPercent.ToString(CultureInfo.InvariantCulture), "PercentExpected");
        }
        return ok;
    }

    /// <summary>Parses a parameter with the engine's parser; its refusal is logged as QCOW1005 with the engine's message.</summary>
    private bool TryParse<T>(string path, string parameter, string text, Func<string, T> parse, out T value)
    {
        try
        {
            value = parse(text.Trim());
            return true;
        }
        catch (QcowOptionsException exception)
        {
            LogErrorFor(path, "InvalidParameter", parameter, text, exception.Message);
            value = default!;
            return false;
        }
    }

    private bool Invalid(string path, string parameter, string value, string reasonResource)
    {
        LogErrorFor(path, "InvalidParameter", parameter, value, Log.FormatResourceString(reasonResource));
        return false;
    }
}
