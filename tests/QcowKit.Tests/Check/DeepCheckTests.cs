using System.IO.Compression;
using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>--deep finds what qemu-img check misses: each test shows qemu calling the image clean.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class DeepCheckTests
{
    [Test]
    public void Deep_check_reports_a_compressed_stream_that_inflates_to_less_than_a_cluster_which_qemu_misses()
    {
        using var temp = new TempDirectory("deep-short");
        var image = temp.File("short.qcow2");
        Qemu.CreateQcow2(image, "64M");
        Qemu.Io(image, "write -c -P 0x33 0 64k");
        using (var e = new QcowFileEditor(image))
        {
            var entry = e.L2Entry(0, 0);
            var offset = entry & ((1UL << (62 - (e.ClusterBits - 8))) - 1);
            // A valid raw deflate stream of only 1000 bytes, written over the cluster's stream.
            using var buffer = new MemoryStream();
            using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                deflate.Write(new byte[1000]);
            }
            using var file = new FileStream(image, FileMode.Open, FileAccess.Write);
            file.Position = (long)offset;
            file.Write(buffer.ToArray());
        }

        var qemu = Qemu.Check(image);
        var plain = QcowChecker.Check(image);
        var deep = QcowChecker.Check(image, new QcowCheckOptions { Deep = true });

        Assert.That(qemu.ExitCode, Is.Zero, "qemu-img check misses it");
        Assert.That(plain.ExitCode, Is.Zero, "without --deep QcowKit agrees with qemu");
        Assert.That(deep.Findings.Select(f => f.Code), Does.Contain(QcowFindingCodes.CompressedStreamShort));
        Assert.That(deep.ExitCode, Is.EqualTo(2));
        Assert.That(deep.QemuExitCode, Is.Zero, "the qemu-compatible counts stay qemu's");
    }

    [Test]
    public void Deep_check_reports_a_compressed_stream_that_is_not_deflate_which_qemu_misses()
    {
        using var temp = new TempDirectory("deep-garbage");
        var image = temp.File("garbage.qcow2");
        Qemu.CreateQcow2(image, "64M");
        Qemu.Io(image, "write -c -P 0x33 0 64k");
        using (var e = new QcowFileEditor(image))
        {
            var offset = e.L2Entry(0, 0) & ((1UL << (62 - (e.ClusterBits - 8))) - 1);
            e.SetU64(offset, 0xffffffffffffffffUL);
        }

        var qemu = Qemu.Check(image);
        var deep = QcowChecker.Check(image, new QcowCheckOptions { Deep = true });

        Assert.That(qemu.ExitCode, Is.Zero, "qemu-img check misses it");
        Assert.That(deep.Findings.Select(f => f.Code), Does.Contain(QcowFindingCodes.CompressedStreamInvalid));
        Assert.That(deep.ExitCode, Is.EqualTo(2));
    }

    [Test]
    public void Deep_check_reports_a_zero_flag_in_a_compat_0_10_image_which_qemu_misses()
    {
        using var temp = new TempDirectory("deep-v2zero");
        var image = temp.File("v2.qcow2");
        CheckCorpus.Base(image, "compat=0.10");
        using (var e = new QcowFileEditor(image))
        {
            e.SetU64(e.L2EntryOffset(0, 1), e.L2Entry(0, 1) | 1);
        }

        var qemu = Qemu.Check(image);
        var deep = QcowChecker.Check(image, new QcowCheckOptions { Deep = true });

        Assert.That(qemu.ExitCode, Is.Zero, "qemu-img check misses it");
        Assert.That(deep.Findings.Select(f => f.Code), Does.Contain(QcowFindingCodes.ZeroFlagInVersion2));
        Assert.That(deep.ExitCode, Is.EqualTo(2));
    }

    [Test]
    public void Deep_check_of_clean_compressed_images_finds_nothing([Values("zlib", "zstd")] string compression)
    {
        using var temp = new TempDirectory("deep-clean");
        var image = temp.File("clean.qcow2");
        Qemu.CreateQcow2(image, "64M", "compression_type=" + compression);
        Qemu.Io(image, "write -c -P 0x33 0 256k", "write -P 0x44 1M 64k");

        var deep = QcowChecker.Check(image, new QcowCheckOptions { Deep = true });

        Assert.That(deep.Findings, Is.Empty);
        Assert.That(deep.ExitCode, Is.Zero);
        Assert.That(deep.CompressedClusters, Is.EqualTo(4));
    }
}
