using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Seed;

public sealed class CloudInitSeedTests
{
    private static (string UserData, string MetaData, string NetworkConfig, string VendorData) WriteInputs(TempDirectory temp)
    {
        var user = temp.File("u.yaml");
        File.WriteAllText(user, "#cloud-config\npassword: passw0rd\nchpasswd: { expire: False }\nssh_pwauth: True\n");
        var meta = temp.File("m.yaml");
        File.WriteAllText(meta, "instance-id: ci-test-0001\nlocal-hostname: seeded\n");
        var network = temp.File("n.yaml");
        File.WriteAllText(network, "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n");
        var vendor = temp.File("v.yaml");
        File.WriteAllText(vendor, "#cloud-config\nruncmd: [ [ touch, /vendor ] ]\n");
        return (user, meta, network, vendor);
    }

    [Test]
    public void Seed_is_a_cidata_volume_with_the_files_at_the_root_and_no_partition_table()
    {
        using var temp = new TempDirectory("seed");
        var (user, meta, network, vendor) = WriteInputs(temp);
        var image = temp.File("seed.img");

        var result = QcowSeeder.SeedCloudInit(image, new CloudInitSeedOptions
        {
            UserDataPath = user,
            MetaDataPath = meta,
            NetworkConfigPath = network,
            VendorDataPath = vendor,
        });

        Assert.That(result.FileSystemOffset, Is.Zero);
        FatTools.AssertFsckClean(image);
        Assert.That(FatTools.RunOk("mlabel", "-s", "-i", image, "::").StandardOutput, Does.Contain("Volume label is CIDATA"));
        Assert.That(FatTools.RunOk("fatlabel", image).StandardOutput.Trim(), Is.EqualTo("CIDATA"));
        var listing = FatTools.RunOk("mdir", "-i", image, "-b", "-/", "::/").StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(listing, Is.EquivalentTo(new[] { "::/meta-data", "::/network-config", "::/user-data", "::/vendor-data" }));
        foreach (var (name, path) in new[] { ("user-data", user), ("meta-data", meta), ("network-config", network), ("vendor-data", vendor) })
        {
            var copy = FatTools.RunOk("mtype", "-i", image, "::/" + name).StandardOutput;
            Assert.That(copy, Is.EqualTo(File.ReadAllText(path)), name);
        }
        var blkid = FatTools.Run("blkid", "-p", "-o", "export", image).StandardOutput;
        Assert.That(blkid, Does.Contain("TYPE=vfat").And.Contain("LABEL=CIDATA").And.Not.Contain("PTTYPE"));
    }

    [Test]
    public void Missing_meta_data_gets_the_cloud_localds_default()
    {
        using var temp = new TempDirectory("seed");
        var (user, _, _, _) = WriteInputs(temp);
        var image = temp.File("seed.img");

        QcowSeeder.SeedCloudInit(image, new CloudInitSeedOptions { UserDataPath = user });

        Assert.That(FatTools.RunOk("mtype", "-i", image, "::/meta-data").StandardOutput, Is.EqualTo("instance-id: iid-local01\n"));
        FatTools.AssertFsckClean(image);
    }

    [Test]
    public void Reproducible_seed_is_byte_identical_twice()
    {
        using var temp = new TempDirectory("seed");
        var (user, meta, _, _) = WriteInputs(temp);
        var options = new CloudInitSeedOptions { UserDataPath = user, MetaDataPath = meta, Reproducible = true };

        QcowSeeder.SeedCloudInit(temp.File("a.img"), options);
        File.SetLastWriteTimeUtc(user, DateTime.UtcNow.AddHours(-5));
        QcowSeeder.SeedCloudInit(temp.File("b.img"), options);

        Assert.That(Hashing.Sha256OfFile(temp.File("b.img")), Is.EqualTo(Hashing.Sha256OfFile(temp.File("a.img"))));
    }

    [Test]
    public void Missing_user_data_file_is_reported_before_writing()
    {
        using var temp = new TempDirectory("seed");
        var image = temp.File("seed.img");

        var error = Assert.Throws<SeedException>(() => QcowSeeder.SeedCloudInit(image, new CloudInitSeedOptions { UserDataPath = temp.File("nope.yaml") }));

        Assert.That(error!.Message, Does.Contain("nope.yaml"));
        Assert.That(File.Exists(image), Is.False);
    }
}
