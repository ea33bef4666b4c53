using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>How many fsyncs the power-loss ordering costs, and where they fall in the write stream.</summary>
[TestFixture]
public sealed class WriteBarrierTests
{
    [Test]
    public void An_allocating_1_MiB_write_over_64_KiB_clusters_costs_one_fsync_before_its_l2_entries()
    {
        var (image, recorder, temp) = Open("cluster_size=64k", flushToDisk: true);
        using (temp)
        using (image)
        {
            image.Write(0, new byte[1 << 20].Select((_, i) => (byte)(i * 7)).ToArray());
            var flushes = recorder.Writes.Count(w => w.IsFlush);
            Assert.That(flushes, Is.EqualTo(1));
            var flush = recorder.Writes.FindIndex(w => w.IsFlush);
            Assert.That(recorder.Writes.Skip(flush + 1).All(w => w.IsMetadata), Is.True, "only pointers follow the barrier");
            Assert.That(recorder.Writes.Skip(flush + 1).Count(), Is.EqualTo(1), "the new L2 table (with its 16 entries) went before the barrier; only the L1 entry follows");
        }
    }

    [Test]
    public void Overwriting_allocated_clusters_in_place_costs_no_fsync()
    {
        var (image, recorder, temp) = Open("cluster_size=64k", flushToDisk: true);
        using (temp)
        using (image)
        {
            image.Write(0, new byte[256 * 1024]);
            var before = recorder.Writes.Count;
            image.Write(4096, new byte[200 * 1024]);
            Assert.That(recorder.Writes.Skip(before).Where(w => w.IsFlush || w.IsMetadata), Is.Empty);
        }
    }

    [Test]
    public void Discarding_fsyncs_between_the_l2_entries_and_the_refcount_decreases()
    {
        var (image, recorder, temp) = Open("cluster_size=64k", flushToDisk: true);
        using (temp)
        using (image)
        {
            image.Write(0, new byte[256 * 1024]);
            var before = recorder.Writes.Count;
            image.Discard(0, 256 * 1024);
            var discard = recorder.Writes.Skip(before).ToList();
            var flush = discard.FindIndex(w => w.IsFlush);
            Assert.That(discard.Count(w => w.IsFlush), Is.EqualTo(1), "no barrier before the entries: nothing they depend on is pending");
            Assert.That(flush, Is.EqualTo(1), "the four adjacent L2 entries in one write, then the barrier");
            Assert.That(discard.Count - flush - 1, Is.EqualTo(4), "then the four refcount decreases");
        }
    }

    [Test]
    public void Without_flush_to_disk_nothing_is_fsynced()
    {
        var (image, recorder, temp) = Open("cluster_size=512,refcount_bits=64", flushToDisk: false);
        using (temp)
        {
            var data = new byte[1 << 20];
            var tableClusters = image.Header.RefcountTableClusters;
            for (var i = 0; i < 4; i++)
            {
                image.Write((long)i << 20, data);
            }
            Assert.That(image.Header.RefcountTableClusters, Is.GreaterThan(tableClusters), "the refcount table grew");
            image.Discard(0, 1 << 20);
            image.CreateSnapshot("s");
            image.Write(0, data);
            image.DeleteSnapshot("s");
            image.Dispose();
            Assert.That(recorder.Writes.Where(w => w.IsFlush), Is.Empty);
            Assert.That(Qemu.Check(temp.File("a.qcow2")).ExitCode, Is.Zero);
        }
    }

    private static (QcowImage Image, WriteRecorder Recorder, TempDirectory Temp) Open(string options, bool flushToDisk)
    {
        var temp = new TempDirectory("barrier");
        var path = temp.File("a.qcow2");
        QcowImage.Create(path, QcowCreateOptions.Parse(options, "64M")).Dispose();
        var recorder = new WriteRecorder();
        var image = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite, FlushToDisk = flushToDisk, WriteObserver = recorder });
        return (image, recorder, temp);
    }
}
