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
}
