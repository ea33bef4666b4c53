using QcowKit.Image;
using QcowKit.Tests.Reading;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Format;

/// <summary>
/// One test per rule qemu enforces when it opens an image: a qemu-made image with that one field
/// broken is refused naming the field, and qemu-img info refuses it too (exceptions are named).
/// </summary>
public class HeaderRuleTests
{
    private TempDirectory _temp = null!;
    private string _plain = null!;
    private string _backed = null!;
    private string _snapshot = null!;
    private string _bitmap = null!;
    private int _copies;

    [OneTimeSetUp]
    public void CreateImages()
    {
        _temp = new TempDirectory("rules");
        _plain = _temp.File("plain.qcow2");
        Qemu.CreateQcow2(_plain, "1M");
        Qemu.CreateQcow2(_temp.File("base.qcow2"), "1M");
        _backed = _temp.File("backed.qcow2");
        Qemu.CreateQcow2(_backed, "1M", "backing_file=base.qcow2,backing_fmt=qcow2");
        _snapshot = _temp.File("snapshot.qcow2");
        Qemu.CreateQcow2(_snapshot, "1M");
        Qemu.ImgOk("snapshot", "-c", "s1", _snapshot);
        _bitmap = _temp.File("bitmap.qcow2");
        Qemu.CreateQcow2(_bitmap, "1M");
        Qemu.ImgOk("bitmap", "--add", _bitmap, "b0");
    }

    [OneTimeTearDown]
    public void DeleteImages() => _temp.Dispose();

    private string Copy(string source)
    {
        var path = _temp.File($"copy{Interlocked.Increment(ref _copies)}.qcow2");
        File.Copy(source, path);
        return path;
    }

    /// <summary>What qemu does with the broken image.</summary>
    public enum QemuVerdict
    {
        /// <summary>qemu-img info refuses to open it.</summary>
        InfoRefuses,

        /// <summary>qemu-img info (which opens without I/O) describes it, but a real open (qemu-io) is refused.</summary>
        OpenRefuses,

        /// <summary>qemu accepts it: we are stricter (named in the test).</summary>
        Accepts,
    }

    private static QcowFormatException AssertRefused(string path, string field, QemuVerdict verdict = QemuVerdict.InfoRefuses)
    {
        var error = Assert.Throws<QcowFormatException>(() => QcowImage.Open(path).Dispose())!;
        Assert.That(error.Field, Is.EqualTo(field), error.Message);
        Assert.That(error.Message, Does.Contain(field));
        var info = Qemu.Img("info", "-f", "qcow2", path);
        var open = ProcessRunner.Run(Qemu.IoPath, ["-r", "-f", "qcow2", "-c", "read 0 512", path]);
        switch (verdict)
        {
            case QemuVerdict.InfoRefuses:
                Assert.That(info.ExitCode, Is.Not.Zero, () => $"qemu-img info accepted it: {info.Describe()}");
                break;
            case QemuVerdict.OpenRefuses:
                Assert.That(info.ExitCode, Is.Zero, () => $"qemu-img info refused it: {info.Describe()}");
                Assert.That(open.ExitCode, Is.Not.Zero, () => $"qemu-io accepted it: {open.Describe()}");
                break;
            default:
                Assert.That(info.ExitCode, Is.Zero, () => $"qemu-img info refused it: {info.Describe()}");
                Assert.That(open.ExitCode, Is.Zero, () => $"qemu-io refused it: {open.Describe()}");
                break;
        }
        return error;
    }

    [Test]
    public void Refuses_a_wrong_magic()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 0, 0x514649FA);
        AssertRefused(path, "magic");
    }

    [TestCase(1u)]
    [TestCase(4u)]
    public void Refuses_an_unsupported_version(uint version)
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 4, version);
        AssertRefused(path, "version");
    }

    [TestCase(8u)]
    [TestCase(22u)]
    public void Refuses_cluster_bits_out_of_range(uint bits)
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 20, bits);
        AssertRefused(path, "cluster_bits");
    }

    [Test]
    public void Refuses_a_version_3_header_length_below_104()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 100, 96);
        AssertRefused(path, "header_length");
    }

    [Test]
    public void Refuses_a_header_length_beyond_the_cluster()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 100, 65536 + 8);
        AssertRefused(path, "header_length");
    }

    [Test]
    public void Refuses_an_l1_table_too_small_for_the_virtual_size()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 24, 1UL << 31);
        AssertRefused(path, "l1_size");
    }

    [Test]
    public void Refuses_an_l1_size_over_the_limit()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 36, 0x0200_0000);
        AssertRefused(path, "l1_size");
    }

    [Test]
    public void Refuses_a_virtual_size_that_needs_too_many_l1_entries()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 24, 1UL << 62);
        AssertRefused(path, "size");
    }

    [Test]
    public void Refuses_an_unaligned_l1_table_offset()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 40, GuestBytes.ReadUInt64(path, 40) + 512);
        AssertRefused(path, "l1_table_offset");
    }

    [Test]
    public void Opens_an_l1_table_past_the_end_of_the_file_read_only_as_qemu_does_reading_zeros()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 40, 1UL << 40);

        using (var image = QcowImage.Open(path))
        {
            Assert.That(image.GetAllocationMap().All(range => !range.Present), Is.True, "an L1 table of zeros maps nothing");
        }
        Assert.That(Qemu.Img("info", "-f", "qcow2", path).ExitCode, Is.Zero);
        var error = Assert.Throws<QcowFormatException>(() => QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite }).Dispose())!;
        Assert.That(error.Field, Is.EqualTo("l1_table_offset"), "a writer still refuses a table the file does not hold");
    }

    [Test]
    public void Refuses_an_unaligned_refcount_table_offset()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 48, GuestBytes.ReadUInt64(path, 48) + 8);
        AssertRefused(path, "refcount_table_offset");
    }

    [Test]
    public void Refuses_a_refcount_table_offset_beyond_the_maximum_image_size()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 48, 0xFFFF_FFFF_FFFF_0000UL);
        AssertRefused(path, "refcount_table_offset");
    }

    [Test]
    public void Refuses_zero_refcount_table_clusters()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 56, 0);
        AssertRefused(path, "refcount_table_clusters");
    }

    [Test]
    public void Refuses_a_refcount_table_over_the_limit()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 56, 129);
        AssertRefused(path, "refcount_table_clusters");
    }

    [Test]
    public void Refuses_more_snapshots_than_the_limit()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 60, 65537);
        AssertRefused(path, "nb_snapshots");
    }

    [Test]
    public void Refuses_an_unaligned_snapshot_table_offset()
    {
        var path = Copy(_snapshot);
        GuestBytes.PatchUInt64(path, 64, GuestBytes.ReadUInt64(path, 64) + 8);
        AssertRefused(path, "snapshots_offset");
    }

    [Test]
    public void Refuses_snapshot_extra_data_over_the_limit()
    {
        var path = Copy(_snapshot);
        var table = (long)GuestBytes.ReadUInt64(path, 64);
        GuestBytes.PatchUInt32(path, table + 36, 1025);
        AssertRefused(path, "extra_data_size");
    }

    [Test]
    public void Refuses_refcount_order_above_6()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt32(path, 96, 7);
        AssertRefused(path, "refcount_order");
    }

    [Test]
    public void Refuses_an_unknown_compression_type()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 72, 1UL << 3);
        GuestBytes.Patch(path, 104, [2]);
        AssertRefused(path, "compression_type");
    }

    [Test]
    public void Refuses_zstd_without_the_compression_type_bit()
    {
        var path = Copy(_plain);
        GuestBytes.Patch(path, 104, [1]);
        AssertRefused(path, "incompatible_features");
    }

    [Test]
    public void Refuses_the_compression_type_bit_when_the_header_has_no_compression_type_field()
    {
        var path = Copy(_plain);
        // header_length 104 ends before compression_type, so the type is deflate and the bit must be clear.
        GuestBytes.PatchUInt32(path, 100, 104);
        GuestBytes.Patch(path, 104, new byte[8]);
        GuestBytes.PatchUInt64(path, 72, 1UL << 3);
        AssertRefused(path, "incompatible_features");
    }

    [Test]
    public void Ignores_the_compression_type_byte_in_a_version_2_header_like_qemu()
    {
        using var temp = new TempDirectory("v2ct");
        var path = temp.File("v2.qcow2");
        Qemu.CreateQcow2(path, "1M", "compat=0.10");
        Assert.That(GuestBytes.ReadUInt64(path, 72), Is.Zero, "nothing but the end of the extensions at byte 72");
        GuestBytes.Patch(path, 104, [1]);
        using var image = QcowImage.Open(path);
        Assert.That(image.GetInfo().CompressionType, Is.EqualTo(global::QcowKit.Format.CompressionType.Deflate));
        Assert.That(Qemu.Img("info", "-f", "qcow2", path).ExitCode, Is.Zero);
    }

    [Test]
    public void Refuses_a_header_extension_longer_than_the_extension_area()
    {
        var path = Copy(_plain);
        var headerLength = GuestBytes.ReadUInt32(path, 100);
        GuestBytes.PatchUInt32(path, headerLength + 4, 0xFFFF_0000);
        AssertRefused(path, "header extension length");
    }

    [Test]
    public void Refuses_a_backing_file_offset_beyond_the_cluster()
    {
        var path = Copy(_backed);
        GuestBytes.PatchUInt64(path, 8, 65536 + 8);
        AssertRefused(path, "backing_file_offset");
    }

    [Test]
    public void Refuses_a_backing_file_name_longer_than_1023_bytes()
    {
        var path = Copy(_backed);
        GuestBytes.PatchUInt32(path, 16, 1024);
        AssertRefused(path, "backing_file_size");
    }

    [Test]
    public void Refuses_an_unknown_incompatible_bit_naming_it()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 72, 1UL << 9);
        var error = AssertRefused(path, "incompatible_features");
        Assert.That(error.Message, Does.Contain("unknown bit 9"));
    }

    [Test]
    public void Refuses_an_unknown_incompatible_bit_naming_it_from_the_feature_name_table()
    {
        var path = Copy(_plain);
        var header = File.ReadAllBytes(path);
        var table = BackingChainTests.FindExtension(header, 0x6803F857) + 8;
        // Re-label the table's "extended L2 entries" entry (incompatible bit 4) as bit 9 and set bit 9.
        for (var at = table; ; at += 48)
        {
            if (header[at] == 0 && header[at + 1] == 4)
            {
                GuestBytes.Patch(path, at + 1, [9]);
                break;
            }
        }
        GuestBytes.PatchUInt64(path, 72, 1UL << 9);
        var error = AssertRefused(path, "incompatible_features");
        Assert.That(error.Message, Does.Contain("extended L2 entries"));
        Assert.That(Qemu.Img("info", "-f", "qcow2", path).StandardError, Does.Contain("extended L2 entries"));
    }

    [Test]
    public void Refuses_extended_l2_with_clusters_below_16_KiB()
    {
        using var temp = new TempDirectory("extl2small");
        var path = temp.File("small.qcow2");
        Qemu.CreateQcow2(path, "1M", "cluster_size=8192");
        GuestBytes.PatchUInt64(path, 72, 1UL << 4);
        AssertRefused(path, "incompatible_features");
    }

    [Test]
    public void Refuses_the_raw_data_file_bit_without_a_data_file()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 88, 1UL << 1);
        AssertRefused(path, "autoclear_features", QemuVerdict.OpenRefuses);
    }

    [Test]
    public void Refuses_the_data_file_bit_without_a_data_file_name()
    {
        var path = Copy(_plain);
        GuestBytes.PatchUInt64(path, 72, 1UL << 2);
        AssertRefused(path, "incompatible_features", QemuVerdict.OpenRefuses);
    }

    [Test]
    public void Refuses_a_bitmaps_extension_with_zero_bitmaps()
    {
        var path = Copy(_bitmap);
        var at = BackingChainTests.FindExtension(File.ReadAllBytes(path), 0x23852875);
        GuestBytes.PatchUInt32(path, at + 8, 0);
        AssertRefused(path, "nb_bitmaps");
    }

    [Test]
    public void Refuses_a_nonzero_bitmaps_extension_reserved_field()
    {
        var path = Copy(_bitmap);
        var at = BackingChainTests.FindExtension(File.ReadAllBytes(path), 0x23852875);
        GuestBytes.PatchUInt32(path, at + 12, 1);
        AssertRefused(path, "bitmaps extension reserved32");
    }

    [Test]
    public void Refuses_an_unaligned_bitmap_directory_offset()
    {
        var path = Copy(_bitmap);
        var at = BackingChainTests.FindExtension(File.ReadAllBytes(path), 0x23852875);
        GuestBytes.PatchUInt64(path, at + 8 + 16, GuestBytes.ReadUInt64(path, at + 8 + 16) + 8);
        AssertRefused(path, "bitmap_directory_offset");
    }

    [Test]
    public void Refuses_encryption_which_qemu_img_info_still_describes()
    {
        using var temp = new TempDirectory("encrypted");
        var path = temp.File("encrypted.qcow2");
        Qemu.CreateEncrypted(path, "1M");
        // qemu-img info describes encrypted images without the key; opening them for I/O needs the secret.
        var error = AssertRefused(path, "crypt_method", QemuVerdict.OpenRefuses);
        Assert.That(error.Message, Does.Contain("encryption is not supported"));
    }

    [Test]
    public void Refuses_a_file_shorter_than_a_header_naming_the_field_that_reads_as_zero_like_qemu()
    {
        using var temp = new TempDirectory("short");
        var path = temp.File("short.qcow2");
        File.WriteAllBytes(path, [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]);
        var error = AssertRefused(path, "cluster_bits");
        Assert.That(Qemu.Img("info", "-f", "qcow2", path).StandardError, Does.Contain("Unsupported cluster size: 2^0"), error.Message);
    }
}
