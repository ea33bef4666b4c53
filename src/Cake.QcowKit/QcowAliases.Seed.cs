using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Seed;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// Puts content on a disk image: a folder as a FAT file system, a cloud-init NoCloud seed, a copy
    /// of another image, or deterministic test data. Creates the image (qcow2 unless the settings say
    /// raw) or, with <see cref="QcowSeedSettings.UseExisting"/>, writes into an existing one. Zero
    /// blocks are never written, so the image stays sparse.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The target image.</param>
    /// <param name="settings">The content (exactly one kind) and how the target is made.</param>
    /// <returns>What was written: disk size, bytes written and skipped, the file system and its file count.</returns>
    /// <exception cref="CakeException">The settings name no content or several kinds, or the content does not fit.</exception>
    /// <example>
    /// <code>
    /// QcowSeed("./out/data.qcow2", new QcowSeedSettings()
    ///     .WithDirectory("./payload")
    ///     .WithLabel("PAYLOAD")
    ///     .WithPartitionTable(PartitionTableType.Gpt)
    ///     .WithReproducible());
    /// QcowSeed("./out/seed.qcow2", new QcowSeedSettings().WithCloudInit("./cloud/user-data", "./cloud/meta-data"));
    /// QcowCreate("./out/disk.qcow2", new QcowCreateSettings().WithSize("1G"));
    /// QcowSeed("./out/disk.qcow2", new QcowSeedSettings().WithGeneratedData(64L &lt;&lt; 20, seed: 42).WithExistingImage());
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static SeedResult QcowSeed(this ICakeContext context, FilePath image, QcowSeedSettings settings)
    {
        var path = Resolve(context, image, nameof(image));
        ArgumentNullException.ThrowIfNull(settings);
        string Absolute(FilePath file) => file.MakeAbsolute(context.Environment).FullPath;

        SeedResult result;
        try
        {
            result = QcowSeeder.Seed(path, new QcowSeedRequest
            {
                Directory = settings.Directory is null ? null : new FatSeedOptions
                {
                    SourceDirectory = settings.Directory.MakeAbsolute(context.Environment).FullPath,
                    FileSystem = settings.FileSystem,
                    Label = settings.Label,
                    PartitionTable = settings.PartitionTable,
                    Reproducible = settings.Reproducible,
                },
                CloudInit = settings.CloudInitUserData is null ? null : new CloudInitSeedOptions
                {
                    UserDataPath = Absolute(settings.CloudInitUserData),
                    MetaDataPath = settings.CloudInitMetaData is null ? null : Absolute(settings.CloudInitMetaData),
                    NetworkConfigPath = settings.CloudInitNetworkConfig is null ? null : Absolute(settings.CloudInitNetworkConfig),
                    Reproducible = settings.Reproducible,
                },
                CopyImage = settings.SourceImage is null ? null : new ImageCopySeedOptions
                {
                    SourcePath = Absolute(settings.SourceImage),
                    SourceFormat = settings.SourceFormat,
                    TargetOffset = settings.TargetOffset,
                },
                GeneratedData = settings.GeneratedDataLength is not { } length ? null : new GeneratedDataSeedOptions
                {
                    Length = length,
                    Seed = settings.GeneratedDataSeed,
                    ZeroBlockPercent = settings.ZeroBlockPercent,
                    TargetOffset = settings.TargetOffset,
                },
                Target = settings.ToTargetOptions(),
            });
        }
        // Safety refusals (an image another process holds, an output that is an input) reach the script as they are,
        // as from every other alias.
        catch (QcowException ex) when (ex.Kind is not (QcowErrorKind.Io or QcowErrorKind.RefusedByPolicy))
        {
            throw new CakeException($"QcowSeed {path}: {ex.Message}", ex);
        }
        context.Log.Information("QcowSeed {0}: {1} byte disk, {2} bytes written, {3} zero bytes skipped{4}", path, result.DiskSize,
            result.BytesWritten, result.BytesSkipped,
            result.FileSystem is { } fs ? $", {fs} with {result.FileCount} files in {result.DirectoryCount} folders" : string.Empty);
        return result;
    }
}
