using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>qcowkit compare prints what qemu-img compare prints and exits with its code.</summary>
public class CompareTests
{
    private const int Size = 1024 * 1024;

    [Test]
    public void Identical_raw_files_exit_0()
    {
        using var temp = new TempDirectory("cli-compare");
        var (a, b) = Pair(temp, Size, Size);

        AssertLikeQemu(0, "compare", a, b);
    }

    [Test]
    public void A_changed_byte_exits_1_naming_its_sector()
    {
        using var temp = new TempDirectory("cli-compare");
        var (a, b) = Pair(temp, Size, Size);
        Poke(b, 300_000, 0x77);

        AssertLikeQemu(1, "compare", a, b);
    }

    [Test]
    public void A_larger_image_with_a_zero_tail_is_identical_with_a_warning()
    {
        using var temp = new TempDirectory("cli-compare");
        var (a, b) = Pair(temp, Size, 2 * Size);

        AssertLikeQemu(0, "compare", a, b);
    }

    [Test]
    public void A_larger_image_with_data_in_the_tail_differs()
    {
        using var temp = new TempDirectory("cli-compare");
        var (a, b) = Pair(temp, Size, 2 * Size);
        Poke(b, Size + 5000, 1);

        AssertLikeQemu(1, "compare", a, b);
    }

    [Test]
    public void Strict_mode_refuses_different_sizes()
    {
        using var temp = new TempDirectory("cli-compare");
        var (a, b) = Pair(temp, Size, 2 * Size);

        AssertLikeQemu(1, "compare", "-s", a, b);
    }

    [Test]
    public void Progress_goes_to_stderr_and_the_verdict_to_stdout()
    {
        using var temp = new TempDirectory("cli-compare");
        var (a, b) = Pair(temp, Size, Size);

        var ours = Cli.Run("compare", "-p", a, b);

        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo("Images are identical.\n"));
        Assert.That(ours.StandardError, Does.StartWith("    (0.00/100%)\r").And.EndWith("    (100.00/100%)\r\n"));
    }

    [Test]
    public void A_missing_image_exits_2_with_one_error_line()
    {
        using var temp = new TempDirectory("cli-compare");
        var (a, _) = Pair(temp, Size, Size);
        var missing = temp.File("missing.qcow2");

        var ours = Cli.Run("compare", a, missing);

        Assert.That(ours.ExitCode, Is.EqualTo(2).And.EqualTo(Cli.Qemu("compare", a, missing).ExitCode));
        Assert.That(ours.StandardError, Is.EqualTo($"qcowkit: error: {missing}: No such file or directory\n"));
    }

    internal static void AssertLikeQemu(int expectedExitCode, params string[] args)
    {
        var qemu = Cli.Qemu(args);
        var ours = Cli.Run(args);
        Assert.That(qemu.ExitCode, Is.EqualTo(expectedExitCode), qemu.Describe);
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode), ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput));
    }

    private static (string A, string B) Pair(TempDirectory temp, int sizeA, int sizeB)
    {
        var data = new byte[Math.Max(sizeA, sizeB)];
        new Random(7).NextBytes(data.AsSpan(0, Math.Min(sizeA, sizeB) / 2));
        var a = temp.File("a.raw");
        var b = temp.File("b.raw");
        File.WriteAllBytes(a, data[..sizeA]);
        File.WriteAllBytes(b, data[..sizeB]);
        return (a, b);
    }

    private static void Poke(string path, long offset, byte value)
    {
        using var file = File.OpenWrite(path);
        file.Position = offset;
        file.WriteByte(value);
    }
}

/// <summary>qcowkit compare on qcow2 images and chains against qemu-img compare.</summary>
public class Qcow2CompareTests
{
    [Test]
    public void An_overlay_and_its_backing_file_differ_where_the_overlay_wrote()
    {
        var overlay = QemuImages.Get("overlay-on-qcow2");
        var backing = Path.Combine(Path.GetDirectoryName(overlay)!, "backing-of-overlay.qcow2");

        CompareTests.AssertLikeQemu(1, "compare", overlay, backing);
    }

    [Test]
    public void Strict_mode_reports_the_first_allocation_difference()
    {
        using var temp = new TempDirectory("cli-compare");
        var image = QemuImages.Get("v3-data-zero-compressed");
        var raw = temp.File("same.raw");
        Qemu.ImgOk("convert", "-O", "raw", image, raw);

        CompareTests.AssertLikeQemu(1, "compare", "-s", image, raw);
    }

    [Test]
    public void A_qcow2_image_and_its_qcow2_copy_are_identical_in_strict_mode()
    {
        using var temp = new TempDirectory("cli-compare");
        var image = temp.File("a.qcow2");
        var copy = temp.File("b.qcow2");
        Qemu.CreateQcow2(image, "1M");
        Qemu.Io(image, "write -P 0x12 0 64k", "write -P 0x13 512k 64k");
        File.Copy(image, copy);

        CompareTests.AssertLikeQemu(0, "compare", "-s", "-f", "qcow2", "-F", "qcow2", image, copy);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_corrupt_compressed_cluster_exits_4_with_a_read_error_as_qemu(bool corruptFirst)
    {
        using var temp = new TempDirectory("cli-compare");
        var raw = temp.File("data.raw");
        var data = new byte[1024 * 1024];
        for (var i = 0; i < data.Length; i++) data[i] = (byte)(i / 4096 % 7); // compressible
        File.WriteAllBytes(raw, data);
        var image = temp.File("compressed.qcow2");
        Qemu.ImgOk("convert", "-f", "raw", "-O", "qcow2", "-c", raw, image);
        QcowByteEdits.GarbleCompressedStream(image, nth: 10);
        string[] args = corruptFirst ? ["compare", image, raw] : ["compare", raw, image];

        var qemu = Cli.Qemu(args);
        var ours = Cli.Run(args);

        Assert.That(qemu.ExitCode, Is.EqualTo(4), qemu.Describe);
        Assert.That(ours.ExitCode, Is.EqualTo(4), ours.Describe);
        Assert.That(ours.StandardError, Does.StartWith($"qcowkit: error: {image}: Error while reading offset "));
    }

    [Test]
    public void A_chain_with_a_short_backing_file_matches_its_raw_conversion()
    {
        using var temp = new TempDirectory("cli-compare");
        var image = QemuImages.Get("overlay-longer-than-backing");
        var raw = temp.File("chain.raw");
        Qemu.ImgOk("convert", "-O", "raw", image, raw);
        Poke(raw, 2 * 1024 * 1024 + 700, 0);

        CompareTests.AssertLikeQemu(1, "compare", image, raw);
    }

    private static void Poke(string path, long offset, byte value)
    {
        using var file = File.OpenWrite(path);
        file.Position = offset;
        file.WriteByte(value);
    }
}
