using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

public class BackingChainTests
{
    [Test]
    public void Reads_three_deep_chain_over_a_raw_base_like_qemu()
    {
        using var temp = new TempDirectory("chain");
        var raw = temp.File("base.raw");
        var bytes = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(raw, bytes);
        Qemu.CreateQcow2(temp.File("mid.qcow2"), "4M", "backing_file=base.raw,backing_fmt=raw");
        Qemu.Io(temp.File("mid.qcow2"), "write -P 0x21 1M 100k", "write -z 2M 64k");
        Qemu.CreateQcow2(temp.File("top.qcow2"), "5M", "backing_file=mid.qcow2,backing_fmt=qcow2,cluster_size=4096");
        Qemu.Io(temp.File("top.qcow2"), "write -P 0x31 1050000 5000", "write -c -P 0x32 3M 4k", "discard 0 4k");
        GuestBytes.AssertSameAsQemu(temp.File("top.qcow2"));
        using var image = QcowImage.Open(temp.File("top.qcow2"));
        Assert.That(image.Backing, Is.TypeOf<QcowImage>());
        Assert.That(((QcowImage)image.Backing!).Backing, Is.TypeOf<RawImage>());
    }

    [Test]
    public void Reads_three_deep_qcow2_chain_with_a_shorter_backing_as_zeros_past_its_end()
    {
        using var temp = new TempDirectory("short");
        Qemu.CreateQcow2(temp.File("a.qcow2"), "1M");
        Qemu.Io(temp.File("a.qcow2"), "write -P 0x01 0 1M");
        Qemu.CreateQcow2(temp.File("b.qcow2"), "2M", "backing_file=a.qcow2,backing_fmt=qcow2");
        Qemu.Io(temp.File("b.qcow2"), "write -P 0x02 512k 64k");
        Qemu.CreateQcow2(temp.File("c.qcow2"), "4M", "backing_file=b.qcow2,backing_fmt=qcow2");
        Qemu.Io(temp.File("c.qcow2"), "write -P 0x03 3M 4k");
        GuestBytes.AssertSameAsQemu(temp.File("c.qcow2"));
    }

    [Test]
    public void Resolves_relative_backing_names_against_the_overlay_folder_not_the_current_directory()
    {
        using var temp = new TempDirectory("rel");
        Directory.CreateDirectory(temp.File("sub"));
        Qemu.CreateQcow2(temp.File("sub/base.qcow2"), "1M");
        Qemu.Io(temp.File("sub/base.qcow2"), "write -P 0x41 0 1M");
        Qemu.CreateQcow2(temp.File("sub/top.qcow2"), "1M", "backing_file=base.qcow2,backing_fmt=qcow2");
        Assert.That(Environment.CurrentDirectory, Is.Not.EqualTo(temp.File("sub")));
        using var image = QcowImage.Open(temp.File("sub/top.qcow2"));
        Assert.That(GuestBytes.Sha256(image), Is.EqualTo(Qemu.RawSha256(temp.File("sub/top.qcow2"))));
        Assert.That(image.GetInfo().FullBackingFileName, Is.EqualTo(temp.File("sub/base.qcow2")));
    }

    [Test]
    public void Probes_the_backing_format_when_the_extension_is_absent()
    {
        using var temp = new TempDirectory("probe");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "1M");
        Qemu.Io(temp.File("base.qcow2"), "write -P 0x51 0 64k");
        Qemu.CreateQcow2(temp.File("top.qcow2"), "1M", "backing_file=base.qcow2,backing_fmt=qcow2");
        // Drop the backing format extension by renaming its magic to an unknown one, which readers skip.
        var header = File.ReadAllBytes(temp.File("top.qcow2"));
        var at = FindExtension(header, 0xE2792ACA);
        GuestBytes.PatchUInt32(temp.File("top.qcow2"), at, 0x12345678);
        using var image = QcowImage.Open(temp.File("top.qcow2"));
        Assert.That(image.GetInfo().BackingFileFormat, Is.Null);
        Assert.That(image.Backing, Is.TypeOf<QcowImage>());
        Assert.That(GuestBytes.Sha256(image), Is.EqualTo(Qemu.RawSha256(temp.File("top.qcow2"))));
    }

    [Test]
    public void Refuses_a_backing_chain_that_loops()
    {
        using var temp = new TempDirectory("loop");
        Qemu.CreateQcow2(temp.File("a.qcow2"), "1M");
        Qemu.CreateQcow2(temp.File("b.qcow2"), "1M", "backing_file=a.qcow2,backing_fmt=qcow2");
        Qemu.ImgOk("rebase", "-u", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", temp.File("a.qcow2"));
        var error = Assert.Throws<QcowFormatException>(() => QcowImage.Open(temp.File("b.qcow2")).Dispose());
        Assert.That(error!.Message, Does.Contain("loops"));
    }

    [Test]
    public void Untrusted_policy_opens_no_backing_file_and_refuses_reads_that_need_it()
    {
        using var temp = new TempDirectory("untrusted");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "1M");
        Qemu.CreateQcow2(temp.File("top.qcow2"), "1M", "backing_file=base.qcow2,backing_fmt=qcow2");
        Qemu.Io(temp.File("top.qcow2"), "write -P 0x61 0 64k");
        File.Delete(temp.File("base.qcow2"));
        using var image = QcowImage.Open(temp.File("top.qcow2"), QcowOpenOptions.Untrusted);
        Assert.That(image.Backing, Is.Null);
        var buffer = new byte[65536];
        image.Read(0, buffer);
        Assert.That(buffer, Is.All.EqualTo((byte)0x61));
        Assert.Throws<InvalidOperationException>(() => image.Read(65536, buffer));
        var error = Assert.Throws<IOException>(() => QcowImage.Open(temp.File("top.qcow2")).Dispose());
        Assert.That(error!.Message, Does.Contain("base.qcow2"));
    }

    internal static int FindExtension(byte[] header, uint magic)
    {
        var headerLength = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(100));
        var at = headerLength;
        while (at + 8 <= header.Length)
        {
            var type = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(at));
            var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(at + 4));
            if (type == magic)
            {
                return at;
            }
            if (type == 0)
            {
                break;
            }
            at += 8 + ((length + 7) & ~7);
        }
        throw new InvalidOperationException($"extension 0x{magic:x8} not found");
    }
}
