using System.Text.Json.Nodes;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

public class AllocationMapTests
{
    private static void AssertSameMapAsQemu(string path)
    {
        var expected = Qemu.Map(path);
        using var image = QcowImage.Open(path);
        var ours = image.GetAllocationMap().ToList();
        var describe = () => "ours:\n" + string.Join("\n", ours) + "\nqemu:\n" + expected.ToJsonString();
        Assert.That(ours, Has.Count.EqualTo(expected.Count), describe);
        for (var i = 0; i < ours.Count; i++)
        {
            var theirs = expected[i]!.AsObject();
            var entry = ours[i];
            Assert.That((entry.Start, entry.Length, entry.Depth, entry.Present, entry.Zero, entry.Data, entry.Offset),
                Is.EqualTo(((long)theirs["start"]!, (long)theirs["length"]!, (int)theirs["depth"]!, (bool)theirs["present"]!,
                    (bool)theirs["zero"]!, (bool)theirs["data"]!, theirs["offset"] is JsonNode offset ? (long?)offset : null)), describe);
        }
    }

    [Test]
    public void Maps_data_zero_compressed_and_backing_ranges_like_qemu_img_map()
    {
        using var temp = new TempDirectory("map");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "2M");
        Qemu.Io(temp.File("base.qcow2"), "write -P 1 0 64k", "write -c -P 2 128k 64k", "write -z 256k 64k");
        Qemu.CreateQcow2(temp.File("top.qcow2"), "4M", "backing_file=base.qcow2,backing_fmt=qcow2");
        Qemu.Io(temp.File("top.qcow2"), "write -P 3 64k 64k", "write -P 4 1M 256k", "write -z 3M 64k");
        AssertSameMapAsQemu(temp.File("top.qcow2"));
    }

    [Test]
    public void Maps_extended_l2_subclusters_like_qemu_img_map()
    {
        using var temp = new TempDirectory("mapext");
        Qemu.CreateQcow2(temp.File("image.qcow2"), "1M", "extended_l2=on");
        Qemu.Io(temp.File("image.qcow2"), "write -P 5 2048 4096", "write -z 16k 2k", "write -P 6 128k 64k");
        AssertSameMapAsQemu(temp.File("image.qcow2"));
    }

    [Test]
    public void Maps_a_raw_backing_file_like_qemu_img_map()
    {
        using var temp = new TempDirectory("mapraw");
        File.WriteAllBytes(temp.File("base.raw"), Enumerable.Repeat((byte)7, 1 << 20).ToArray());
        Qemu.CreateQcow2(temp.File("top.qcow2"), "2M", "backing_file=base.raw,backing_fmt=raw");
        Qemu.Io(temp.File("top.qcow2"), "write -P 8 512k 64k");
        AssertSameMapAsQemu(temp.File("top.qcow2"));
    }

    [Test]
    public void Maps_an_external_data_file_like_qemu_img_map()
    {
        using var temp = new TempDirectory("mapdata");
        Qemu.CreateQcow2(temp.File("image.qcow2"), "2M", $"data_file={temp.File("image.data")}");
        Qemu.Io(temp.File("image.qcow2"), "write -P 1 64k 128k", "write -z 1M 64k", "write -P 2 1536k 4k");
        AssertSameMapAsQemu(temp.File("image.qcow2"));
    }

    [TestCase("metadata")]
    [TestCase("falloc")]
    public void Maps_preallocation_like_qemu_img_map(string mode)
    {
        using var temp = new TempDirectory("mapprealloc");
        Qemu.CreateQcow2(temp.File("image.qcow2"), "1M", $"preallocation={mode}");
        Qemu.Io(temp.File("image.qcow2"), "write -P 9 0 64k");
        AssertSameMapAsQemu(temp.File("image.qcow2"));
    }
}
