using Cake.Core;
using Cake.Core.IO;
using QcowKit.Seed;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

[TestFixture]
public sealed class QcowSeedAliasTests
{
    [Test]
    public void Writes_generated_data_into_a_new_qcow2_image_that_qemu_reads_back()
    {
        using var temp = new TempDirectory("cake-seed");
        var image = temp.File("data.qcow2");
        using var cake = new CakeTestContext(temp.Path);

        var result = cake.Context.QcowSeed(new FilePath("data.qcow2"), new QcowSeedSettings()
            .WithGeneratedData(3L << 20, seed: 7, zeroBlockPercent: 25).WithSize(8L << 20));

        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        Assert.That((string)Qemu.Info(image)["format"]!, Is.EqualTo("qcow2"));
        var expected = new byte[8L << 20];
        QcowSeeder.FillGeneratedData(new GeneratedDataSeedOptions { Length = 3L << 20, Seed = 7, ZeroBlockPercent = 25 }, 0, expected.AsSpan(0, 3 << 20));
        Assert.That(Qemu.RawSha256(image), Is.EqualTo(Hashing.Sha256OfStream(new MemoryStream(expected))));
        Assert.That(result.DiskSize, Is.EqualTo(8L << 20));
        Assert.That(result.BytesSkipped, Is.GreaterThan(0), "zero blocks are not written");
    }

    [Test]
    public void Writes_a_folder_as_a_fat_file_system_that_mtools_lists()
    {
        using var temp = new TempDirectory("cake-seed");
        Directory.CreateDirectory(temp.File("payload/docs"));
        File.WriteAllText(temp.File("payload/hello.txt"), "hello from cake");
        File.WriteAllText(temp.File("payload/docs/readme.md"), "# readme");
        using var cake = new CakeTestContext(temp.Path);

        var result = cake.Context.QcowSeed(new FilePath("fs.qcow2"), new QcowSeedSettings()
            .WithDirectory(new DirectoryPath("payload")).WithLabel("PAYLOAD").WithReproducible());

        Assert.That(Qemu.Check(temp.File("fs.qcow2")).ExitCode, Is.Zero);
        Assert.That(result.FileCount, Is.EqualTo(2));
        Assert.That(result.DirectoryCount, Is.EqualTo(1));
        var raw = temp.File("fs.raw");
        Qemu.ImgOk("convert", "-O", "raw", temp.File("fs.qcow2"), raw);
        var type = global::QcowKit.TestSupport.ProcessRunner.Run("mtype", ["-i", raw, "::/hello.txt"]);
        Assert.That(type.StandardOutput.TrimEnd(), Is.EqualTo("hello from cake"), type.Describe);
    }

    [Test]
    public void Writes_into_an_existing_image_with_use_existing()
    {
        using var temp = new TempDirectory("cake-seed");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "16M");
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowSeed(new FilePath(image), new QcowSeedSettings()
            .WithGeneratedData(1L << 20, seed: 3).WithTargetOffset(4L << 20).WithExistingImage());

        Assert.That((long)Qemu.Info(image)["virtual-size"]!, Is.EqualTo(16L << 20));
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero);
        Assert.That(Qemu.Map(image).Any(entry => (bool)entry!["data"]! && (long)entry["start"]! == 4L << 20), Is.True);
    }

    [Test]
    public void Refuses_settings_without_content()
    {
        using var temp = new TempDirectory("cake-seed");
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowSeed(new FilePath("x.qcow2"), new QcowSeedSettings()),
            Throws.TypeOf<CakeException>().With.Message.Contains("exactly one kind of content"));
        Assert.That(File.Exists(temp.File("x.qcow2")), Is.False);
    }

    [Test]
    public void Reports_content_that_does_not_fit_as_a_cake_exception()
    {
        using var temp = new TempDirectory("cake-seed");
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowSeed(new FilePath("small.qcow2"), new QcowSeedSettings()
                .WithGeneratedData(4L << 20).WithSize(1L << 20)),
            Throws.TypeOf<CakeException>().With.InnerException.InstanceOf<SeedException>());
    }

    [Test]
    [NonParallelizable]
    public void Reproducible_seed_takes_its_timestamp_from_SOURCE_DATE_EPOCH()
    {
        using var temp = new TempDirectory("cake-seed");
        Directory.CreateDirectory(temp.File("payload"));
        File.WriteAllText(temp.File("payload/hello.txt"), "hello from cake");
        // 1700000000 seconds after 1970 is 2023-11-14 22:13:20 UTC.
        QcowSeeder.SeedDirectory(temp.File("explicit.qcow2"), new FatSeedOptions
        {
            SourceDirectory = temp.File("payload"),
            Reproducible = true,
            Timestamp = new DateTime(2023, 11, 14, 22, 13, 20, DateTimeKind.Utc),
        }, new SeedTargetOptions());
        using var cake = new CakeTestContext(temp.Path);
        var previous = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        try
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", "1700000000");
            cake.Context.QcowSeed(new FilePath("environment.qcow2"), new QcowSeedSettings().WithDirectory(new DirectoryPath("payload")).WithReproducible());
        }
        finally
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", previous);
        }
        Assert.That(Hashing.Sha256OfFile(temp.File("environment.qcow2")), Is.EqualTo(Hashing.Sha256OfFile(temp.File("explicit.qcow2"))));
    }
}
