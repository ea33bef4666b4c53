using System.CommandLine;
using System.Globalization;
using QcowKit.Cli.Infrastructure;
using QcowKit.Seed;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit seed</c>: gives a disk image its initial content through <see cref="QcowSeeder"/>: a folder as a
/// FAT file system (<c>--dir</c>), a cloud-init NoCloud seed (<c>--cloud-init</c>), a raw image at an offset
/// (<c>--raw</c>) or deterministic test data (<c>--generate</c>). Exactly one content source per run.
/// </summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var directory = new Option<string?>("--dir") { Description = "Folder written as a FAT file system", HelpName = "DIR" };
        var cloudInit = new Option<bool>("--cloud-init") { Description = "Write a cloud-init NoCloud seed (FAT volume labelled CIDATA)" };
        var userData = new Option<string?>("--user-data") { Description = "cloud-init user-data file", HelpName = "FILE" };
        var metaData = new Option<string?>("--meta-data") { Description = "cloud-init meta-data file (default: instance-id: iid-local01)", HelpName = "FILE" };
        var networkConfig = new Option<string?>("--network-config") { Description = "cloud-init network-config file", HelpName = "FILE" };
        var vendorData = new Option<string?>("--vendor-data") { Description = "cloud-init vendor-data file", HelpName = "FILE" };
        var raw = new Option<string?>("--raw") { Description = "Raw image copied into the target (zero blocks skipped)", HelpName = "FILE" };
        var generate = new Option<string?>("--generate") { Description = "Write this many bytes of deterministic test data", HelpName = "SIZE" };
        var seed = new Option<long>("--seed") { Description = "Seed of the generated data (default 0)", HelpName = "N" };
        var zeroPercent = new Option<int>("--zero-percent") { Description = "Percentage of generated 4 KiB blocks left zero", HelpName = "P" };
        var offset = new Option<string?>("--offset") { Description = "Target offset of --raw or --generate (multiple of 512)", HelpName = "OFFSET" };
        var fileSystem = new Option<string>("--fs")
        {
            Description = "File system for --dir: auto (like mkfs.fat), fat16 or fat32",
            HelpName = "auto|fat16|fat32",
            DefaultValueFactory = _ => "auto",
        };
        var label = new Option<string?>("--label") { Description = "Volume label (default for --cloud-init: CIDATA)", HelpName = "LABEL" };
        var partition = new Option<string>("--partition")
        {
            Description = "Partition table around the --dir file system",
            HelpName = "none|mbr|gpt",
            DefaultValueFactory = _ => "none",
        };
        var size = new Option<string?>("--size") { Description = "Disk size of a new image, e.g. 256M (default: what the content needs)", HelpName = "SIZE" };
        var reproducible = new Option<bool>("--reproducible")
        {
            Description = "Byte-identical output: fixed timestamps ($SOURCE_DATE_EPOCH or 1980-01-01) and serial numbers/GUIDs derived from the label",
        };
        var timestamp = new Option<string?>("--timestamp") { Description = "Fixed timestamp for every entry (ISO 8601, or @SECONDS since 1970)", HelpName = "TIME" };
        var format = CommonOptions.Format("-f", "Target format (raw or qcow2); from the extension (new) or probed (--existing) when omitted");
        var createOptions = CommonOptions.FormatOptions();
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing target" };
        var existing = new Option<bool>("--existing") { Description = "Write into the existing target, keeping its size" };
        var quiet = CommonOptions.Quiet();
        var target = new Argument<string>("TARGET") { Description = "Image to create (or, with --existing, to write into)" };

        var command = new Command("seed", "Put content into a disk image: a folder as FAT, a cloud-init seed, a raw image or test data");
        foreach (var option in new Option[]
                 {
                     directory, cloudInit, userData, metaData, networkConfig, vendorData, raw, generate, seed, zeroPercent, offset,
                     fileSystem, label, partition, size, reproducible, timestamp, format, createOptions, overwrite, existing, quiet,
                 })
        {
            command.Options.Add(option);
        }
        command.Arguments.Add(target);

        CommandActions.Set(command, context =>
        {
            var targetPath = context.GetValue(target);
            var fixedTime = ParseTimestamp(targetPath, context.GetValue(timestamp));
            SeedResult result;
            try
            {
                var fatType = SeedNames.ParseFileSystem(context.GetValue(fileSystem)!);
                var partitionTable = SeedNames.ParsePartitionTable(context.GetValue(partition)!);
                var offsetBytes = context.GetValue(offset) is { } offsetText ? CommonOptions.ParseSize(targetPath, "--offset", offsetText) : 0;
                result = QcowSeeder.Seed(targetPath, new QcowSeedRequest
                {
                    Directory = context.GetValue(directory) is { } folder ? new FatSeedOptions
                    {
                        SourceDirectory = folder,
                        FileSystem = fatType,
                        Label = context.GetValue(label),
                        PartitionTable = partitionTable,
                        Reproducible = context.GetValue(reproducible),
                        Timestamp = fixedTime,
                    } : null,
                    CloudInit = context.GetValue(cloudInit) ? new CloudInitSeedOptions
                    {
                        UserDataPath = context.GetValue(userData) ?? throw new CliException(targetPath, "--cloud-init needs --user-data FILE"),
                        MetaDataPath = context.GetValue(metaData),
                        NetworkConfigPath = context.GetValue(networkConfig),
                        VendorDataPath = context.GetValue(vendorData),
                        Label = context.GetValue(label) ?? "CIDATA",
                        Reproducible = context.GetValue(reproducible),
                        Timestamp = fixedTime,
                    } : null,
                    CopyImage = context.GetValue(raw) is { } rawPath ? new ImageCopySeedOptions { SourcePath = rawPath, TargetOffset = offsetBytes } : null,
                    GeneratedData = context.GetValue(generate) is { } length ? new GeneratedDataSeedOptions
                    {
                        Length = CommonOptions.ParseSize(targetPath, "--generate", length),
                        Seed = context.GetValue(seed),
                        ZeroBlockPercent = context.GetValue(zeroPercent),
                        TargetOffset = offsetBytes,
                    } : null,
                    Target = new SeedTargetOptions
                    {
                        Format = context.GetValue(format) is { } formatName ? QemuNames.ParseImageFormat(formatName) : null,
                        Size = context.GetValue(size) is { } sizeText ? CommonOptions.ParseSize(targetPath, "--size", sizeText) : null,
                        Overwrite = context.GetValue(overwrite),
                        UseExisting = context.GetValue(existing),
                        Qcow2Options = QemuOptionList.Join(context.GetValue(createOptions)),
                    },
                }, context.CancellationToken);
            }
            catch (QcowException ex) when (ex.Kind == QcowErrorKind.BadArgument)
            {
                throw new CliException(targetPath, CommandActions.OneLine(ex.Message), 1, ex);
            }

            if (!context.GetValue(quiet)) context.Out.WriteLine(Describe(targetPath, result));
            return 0;
        });
        return command;
    }

    private static string Describe(string targetPath, SeedResult result)
    {
        var content = result.FileSystem is { } type
            ? string.Create(CultureInfo.InvariantCulture,
                $"{(type == FatFileSystemType.Fat32 ? "FAT32" : "FAT16")} ({result.ClusterSize}-byte clusters at offset {result.FileSystemOffset}), {result.FileCount} files in {result.DirectoryCount} folders, ")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"Seeded {targetPath}: {content}disk size {result.DiskSize}, {result.BytesWritten} bytes written, {result.BytesSkipped} zero bytes skipped");
    }

    private static DateTime? ParseTimestamp(string targetPath, string? text)
    {
        if (text is null) return null;
        try
        {
            return SeedTimestamp.Parse(text);
        }
        catch (QcowOptionsException ex)
        {
            throw new CliException(targetPath, $"--timestamp: {ex.Message}", 1, ex);
        }
    }
}
