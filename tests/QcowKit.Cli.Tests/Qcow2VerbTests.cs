using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>Every verb on qemu-made qcow2 images of every layout, checked against qemu-img's own answer.</summary>
[TestFixtureSource(typeof(QemuImages), nameof(QemuImages.Kinds))]
public class Qcow2VerbTests(string kind)
{
    private string Image => QemuImages.Get(kind);

    [Test]
    public void Info_json_is_identical_to_qemu_img()
    {
        var ours = Cli.Run("info", "--output=json", Image);

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(Cli.Qemu("info", "--output=json", Image).StandardOutput));
    }

    [Test]
    public void Info_human_is_identical_to_qemu_img()
    {
        var ours = Cli.Run("info", Image);

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(Cli.Qemu("info", Image).StandardOutput));
    }

    [Test]
    public void Info_backing_chain_json_is_identical_to_qemu_img()
    {
        var ours = Cli.Run("info", "--backing-chain", "--output", "json", Image);

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(Cli.Qemu("info", "--backing-chain", "--output=json", Image).StandardOutput));
    }

    [Test]
    public void Convert_to_raw_gives_qemu_img_guest_bytes()
    {
        using var temp = new TempDirectory("cli-convert");
        var raw = temp.File("out.raw");

        var ours = Cli.Run("convert", "-O", "raw", Image, raw);

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(Hashing.Sha256OfFile(raw), Is.EqualTo(Qemu.RawSha256(Image)));
    }

    [Test]
    public void Compare_with_qemu_img_raw_conversion_is_identical()
    {
        using var temp = new TempDirectory("cli-compare");
        var raw = temp.File("qemu.raw");
        Qemu.ImgOk("convert", "-O", "raw", Image, raw);

        CompareTests.AssertLikeQemu(0, "compare", Image, raw);
    }
}

/// <summary>qcowkit map on qemu-made qcow2 images, checked against qemu-img map.</summary>
[TestFixtureSource(typeof(QemuImages), nameof(QemuImages.MapKinds))]
public class Qcow2MapTests(string kind)
{
    private string Image => QemuImages.Get(kind);

    [Test]
    public void Map_json_is_identical_to_qemu_img()
    {
        var ours = Cli.Run("map", "--output=json", Image);

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(Cli.Qemu("map", "--output=json", Image).StandardOutput));
    }

    [Test]
    public void Map_human_matches_qemu_img_output_and_exit_code()
    {
        var qemu = Cli.Qemu("map", Image);
        var ours = Cli.Run("map", Image);

        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode), ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput));
    }

    [TestCase("--start-offset=100k", "--max-length=1M")]
    [TestCase("--start-offset=1000", "--max-length=10")]
    [TestCase("--start-offset=1000", "--max-length=0")]
    [TestCase("--start-offset=3M", "--max-length=100T")]
    [TestCase("--start-offset=1E", "--max-length=1")]
    [TestCase("--start-offset=0", "--max-length=9223372036854775807")]
    public void Map_of_a_range_matches_qemu_img_in_both_formats(string start, string length)
    {
        foreach (var output in new[] { "--output=json", "--output=human" })
        {
            var qemu = Cli.Qemu("map", output, start, length, Image);
            var ours = Cli.Run("map", output, start, length, Image);

            Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode), ours.Describe);
            Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput), output);
        }
    }
}

/// <summary>qcowkit map's range options refuse what qemu-img refuses.</summary>
public class MapRangeOptionTests
{
    [TestCase("--start-offset=-1")]
    [TestCase("--start-offset=12x")]
    [TestCase("--max-length=-5")]
    [TestCase("--max-length=oops")]
    public void Invalid_range_option_fails_like_qemu_img(string option)
    {
        var image = QemuImages.Get(QemuImages.MapKinds.First());
        var qemu = Cli.Qemu("map", option, image);
        var ours = Cli.Run("map", option, image);

        Assert.That(qemu.ExitCode, Is.EqualTo(1));
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode), ours.Describe);
        Assert.That(ours.StandardError, Does.StartWith("qcowkit: error: Invalid "));
    }
}
