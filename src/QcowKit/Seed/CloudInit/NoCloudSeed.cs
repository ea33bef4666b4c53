using System.Text;
using QcowKit.Seed.Fat;

namespace QcowKit.Seed.CloudInit;

/// <summary>
/// The NoCloud data source's seed volume: the files named exactly as cloud-init reads them, at the root of a
/// FAT volume with no partition table (cloud-localds formats the whole image with mkfs.vfat).
/// </summary>
internal static class NoCloudSeed
{
    internal const string UserData = "user-data";
    internal const string MetaData = "meta-data";
    internal const string NetworkConfig = "network-config";
    internal const string VendorData = "vendor-data";

    /// <summary>What cloud-localds writes as meta-data when it is given none.</summary>
    internal const string DefaultMetaData = "instance-id: iid-local01\n";

    public static FatSeedPlan CreatePlan(CloudInitSeedOptions options)
    {
        var label = FatVolume.NormalizeLabel(options.Label);
        var fixedTime = SeedTimestamp.Resolve(options.Timestamp, options.Reproducible);
        var files = new List<FatFile> { FatTreeBuilder.FileFromDisk(UserData, options.UserDataPath, fixedTime) };
        if (options.MetaDataPath is not null)
        {
            files.Add(FatTreeBuilder.FileFromDisk(MetaData, options.MetaDataPath, fixedTime));
        }
        else
        {
            var bytes = Encoding.UTF8.GetBytes(DefaultMetaData);
            files.Add(new FatFile(MetaData, fixedTime ?? DateTime.UtcNow, bytes.Length, () => new MemoryStream(bytes, writable: false),
                "the default meta-data"));
        }
        if (options.NetworkConfigPath is not null) files.Add(FatTreeBuilder.FileFromDisk(NetworkConfig, options.NetworkConfigPath, fixedTime));
        if (options.VendorDataPath is not null) files.Add(FatTreeBuilder.FileFromDisk(VendorData, options.VendorDataPath, fixedTime));

        var rootTime = fixedTime ?? DateTime.UtcNow;
        var root = FatTreeBuilder.FromFiles(files, rootTime);
        var seed = options.Reproducible ? label : null;
        var volume = new FatVolume(root, FatFileSystemType.Auto, label, FatVolume.MakeSerial(seed), rootTime);
        return new FatSeedPlan(volume, PartitionTableType.None, seed);
    }
}
