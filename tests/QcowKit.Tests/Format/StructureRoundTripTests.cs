using Microsoft.Win32.SafeHandles;
using QcowKit.Format;
using QcowKit.Image;
using QcowKit.Tests.Reading;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Format;

public class StructureRoundTripTests
{
    private static byte[] FirstCluster(string path, int clusterSize)
    {
        var bytes = new byte[clusterSize];
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        RandomAccess.Read(handle, bytes, 0);
        return bytes;
    }

    [TestCase("compat=0.10")]
    [TestCase("compat=1.1")]
    [TestCase("compression_type=zstd,extended_l2=on,lazy_refcounts=on,refcount_bits=64")]
    [TestCase("data_file=DATA,data_file_raw=on")]
    [TestCase("backing_file=base.qcow2,backing_fmt=qcow2")]
    public void Header_write_reproduces_qemus_header_cluster_byte_for_byte(string options)
    {
        using var temp = new TempDirectory("hdr");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "1M");
        Qemu.CreateQcow2(path, "3M", options.Replace("DATA", temp.File("image.data"), StringComparison.Ordinal));
        var original = FirstCluster(path, 65536);
        var header = QcowHeader.Parse(original, new FileInfo(path).Length);
        var written = new byte[65536];
        header.Write(written);
        Assert.That(written, Is.EqualTo(original));
    }

    [Test]
    public void Header_write_keeps_unknown_extensions_and_header_fields()
    {
        using var temp = new TempDirectory("hdrunk");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M");
        var header = QcowHeader.Parse(FirstCluster(path, 65536), new FileInfo(path).Length);
        header.UnknownExtensions.Add(new HeaderExtension(0xABCD0001, [1, 2, 3], -1));
        header.UnknownHeaderFields = [9, 9, 9, 9, 9, 9, 9, 9];
        header.BackingFile = "some/backing.qcow2";
        header.BackingFormat = "qcow2";
        var cluster = new byte[65536];
        header.Write(cluster);
        var again = QcowHeader.Parse(cluster, new FileInfo(path).Length);
        Assert.That(again.HeaderLength, Is.EqualTo(120));
        Assert.That(again.UnknownHeaderFields, Is.EqualTo(new byte[] { 9, 9, 9, 9, 9, 9, 9, 9 }));
        Assert.That(again.UnknownExtensions.Single().Type, Is.EqualTo(0xABCD0001));
        Assert.That(again.UnknownExtensions.Single().Data, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(again.BackingFile, Is.EqualTo("some/backing.qcow2"));
        Assert.That(again.BackingFormat, Is.EqualTo("qcow2"));
        Assert.That(again.FeatureNameTable, Is.EqualTo(FeatureNameTableEntry.QemuDefaults));
    }

    [Test]
    public void Full_disk_encryption_pointer_round_trips_and_is_refused_without_luks()
    {
        using var temp = new TempDirectory("fde");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M");
        var length = new FileInfo(path).Length;
        var header = QcowHeader.Parse(FirstCluster(path, 65536), length);
        header.CryptMethod = 2;
        header.FullDiskEncryption = new FullDiskEncryptionExtension(0x30000, 0x2000);
        var cluster = new byte[65536];
        header.Write(cluster);
        Assert.That(QcowHeader.Parse(cluster, length).FullDiskEncryption, Is.EqualTo(new FullDiskEncryptionExtension(0x30000, 0x2000)));
        header.CryptMethod = 0;
        header.Write(cluster);
        var error = Assert.Throws<QcowFormatException>(() => QcowHeader.Parse(cluster, length));
        Assert.That(error!.Field, Is.EqualTo("full disk encryption extension"));
        header.CryptMethod = 2;
        header.FullDiskEncryption = new FullDiskEncryptionExtension(0x30001, 0x2000);
        header.Write(cluster);
        error = Assert.Throws<QcowFormatException>(() => QcowHeader.Parse(cluster, length));
        Assert.That(error!.Field, Is.EqualTo("encryption header offset"));
    }

    [Test]
    public void Refcount_entries_of_every_width_read_what_qemu_wrote_and_set_round_trips()
    {
        for (var order = 0; order <= 6; order++)
        {
            using var temp = new TempDirectory("rc");
            var path = temp.File("image.qcow2");
            Qemu.CreateQcow2(path, "1M", $"refcount_bits={1 << order}");
            Qemu.Io(path, "write -P 1 0 192k");
            using var image = QcowImage.Open(path);
            // Header, refcount table, refcount block, L1 table, L2 table and three data clusters are all referenced once.
            for (var cluster = 0; cluster < 8; cluster++)
            {
                Assert.That(image.GetRefcount(cluster), Is.EqualTo(1UL), $"order {order}, cluster {cluster}");
            }
            Assert.That(image.GetRefcount(100), Is.Zero);

            var block = new byte[512];
            var max = RefcountBlock.MaxRefcount(order);
            var entries = RefcountBlock.EntriesPerBlock(block.Length, order);
            for (long i = 0; i < entries; i++)
            {
                RefcountBlock.Set(block, i, order, (ulong)i & max);
            }
            for (long i = 0; i < entries; i++)
            {
                Assert.That(RefcountBlock.Get(block, i, order), Is.EqualTo((ulong)i & max), $"order {order}, entry {i}");
            }
            RefcountBlock.Set(block, 3, order, max);
            Assert.That(RefcountBlock.Get(block, 3, order), Is.EqualTo(max));
            Assert.That(RefcountBlock.Get(block, 2, order), Is.EqualTo(2UL & max));
            if (order < 6)
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => RefcountBlock.Set(block, 0, order, max + 1));
            }
        }
    }

    [TestCase(9)]
    [TestCase(16)]
    [TestCase(21)]
    public void Compressed_descriptor_round_trips_for_each_cluster_size(int clusterBits)
    {
        var descriptor = CompressedClusterDescriptor.ForStream(0x1234_5678 + 300, (1 << clusterBits) - 7);
        var entry = descriptor.ToEntry(clusterBits);
        Assert.That(new L2Entry(entry, 0).IsCompressed, Is.True);
        Assert.That(CompressedClusterDescriptor.FromEntry(entry, clusterBits), Is.EqualTo(descriptor));
        Assert.That(descriptor.CompressedSize, Is.GreaterThanOrEqualTo((1 << clusterBits) - 7));
        Assert.That(descriptor.CompressedSize - ((1 << clusterBits) - 7), Is.LessThan(512));
    }

    [Test]
    public void Snapshot_entry_write_reproduces_qemus_table_entry()
    {
        using var temp = new TempDirectory("snapentry");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M");
        Qemu.ImgOk("snapshot", "-c", "a snapshot", path);
        using var image = QcowImage.Open(path);
        var entry = image.SnapshotEntries.Single();
        var original = new byte[entry.EncodedSize];
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
        {
            RandomAccess.Read(handle, original, entry.FileOffset);
        }
        var written = new byte[entry.EncodedSize];
        Assert.That(entry.Write(written), Is.EqualTo(original.Length));
        Assert.That(written, Is.EqualTo(original));
        Assert.That(entry.Name, Is.EqualTo("a snapshot"));
    }

    [Test]
    public void Bitmap_directory_entry_write_reproduces_qemus_entry()
    {
        using var temp = new TempDirectory("bmentry");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M");
        Qemu.ImgOk("bitmap", "--add", "-g", "1M", path, "bm");
        using var image = QcowImage.Open(path);
        var entry = image.BitmapEntries.Single();
        var ext = image.Header.Bitmaps!.Value;
        var original = new byte[ext.BitmapDirectorySize];
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
        {
            RandomAccess.Read(handle, original, (long)ext.BitmapDirectoryOffset);
        }
        var written = new byte[entry.EncodedSize];
        entry.Write(written);
        Assert.That(written, Is.EqualTo(original));
        Assert.That(entry.GranularityBits, Is.EqualTo(20));
    }

    [Test]
    public void L2_entries_classify_like_qemu()
    {
        var normal = L2Entry.Standard(0x10000, copied: true);
        Assert.That(normal.Classify(0, false, false), Is.EqualTo(SubclusterType.Normal));
        Assert.That(L2Entry.Standard(0, false, zero: true).Classify(0, false, false), Is.EqualTo(SubclusterType.ZeroPlain));
        Assert.That(L2Entry.Standard(0x10000, true, zero: true).Classify(0, false, false), Is.EqualTo(SubclusterType.ZeroAlloc));
        Assert.That(new L2Entry(0, 0).Classify(0, false, false), Is.EqualTo(SubclusterType.UnallocatedPlain));
        Assert.That(new L2Entry(L2Entry.CopiedFlag, 0).Classify(0, false, externalDataFile: true), Is.EqualTo(SubclusterType.Normal));
        var extended = new L2Entry(0x10000 | L2Entry.CopiedFlag, 0b0101 | (0b0010UL << 32));
        Assert.That(extended.Classify(0, true, false), Is.EqualTo(SubclusterType.Normal));
        Assert.That(extended.Classify(1, true, false), Is.EqualTo(SubclusterType.ZeroAlloc));
        Assert.That(extended.Classify(3, true, false), Is.EqualTo(SubclusterType.UnallocatedAlloc));
        Assert.That(new L2Entry(0x10000, 1 | (1UL << 32)).Classify(5, true, false), Is.EqualTo(SubclusterType.Invalid));
        Assert.That(new L2Entry(0, 1UL << 33).Classify(1, true, false), Is.EqualTo(SubclusterType.ZeroPlain));
        Assert.That(new L2Entry(0, 1).Classify(1, true, false), Is.EqualTo(SubclusterType.Invalid));
    }

    [Test]
    public void Hostile_sizes_never_allocate_beyond_the_file()
    {
        using var temp = new TempDirectory("hostile");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M");
        // A maximal L1 table (32 MiB) that qemu itself accepts: past the end of the tiny file it reads as zeros, and only the part the file holds is read.
        GuestBytes.PatchUInt32(path, 36, 0x0040_0000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        QcowImage.Open(path).Dispose();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(4L * 1024 * 1024));
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        Assert.That(RandomAccess.GetLength(handle), Is.LessThan(1L << 20));
    }
}
