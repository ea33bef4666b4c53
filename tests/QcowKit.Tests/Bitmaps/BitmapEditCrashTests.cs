using QcowKit.Bitmaps;
using QcowKit.TestSupport;
using QcowKit.Tests.Writing;

namespace QcowKit.Tests.Bitmaps;

/// <summary>
/// <see cref="QcowBitmaps.Apply(string, QcowBitmapRequest, System.Threading.CancellationToken)"/> stopped after any
/// host write: every prefix of the recorded writes, replayed onto the image as it was, must give an image that
/// <c>qemu-img check</c> finds clean or only leaking, whose bitmaps are either all the old ones or all the new ones.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class BitmapEditCrashTests
{
    private static IEnumerable<TestCaseData> Requests()
    {
        yield return Case("add", new QcowBitmapOperation(QcowBitmapAction.Add));
        yield return Case("add and merge", new QcowBitmapOperation(QcowBitmapAction.Add), new QcowBitmapOperation(QcowBitmapAction.Merge, "b1"));
        yield return Case("merge into existing", "d", new QcowBitmapOperation(QcowBitmapAction.Merge, "b1"));
        yield return Case("clear", "b1", new QcowBitmapOperation(QcowBitmapAction.Clear));
        yield return Case("remove", "b1", new QcowBitmapOperation(QcowBitmapAction.Remove));
        yield return Case("remove, add and remove again", "d", new QcowBitmapOperation(QcowBitmapAction.Remove), new QcowBitmapOperation(QcowBitmapAction.Add),
            new QcowBitmapOperation(QcowBitmapAction.Remove));

        static TestCaseData Case(string name, params object[] rest) => rest[0] is string bitmap
            ? new TestCaseData(bitmap, rest[1..].Cast<QcowBitmapOperation>().ToArray()).SetArgDisplayNames(name)
            : new TestCaseData("b0", rest.Cast<QcowBitmapOperation>().ToArray()).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Requests))]
    public void Every_prefix_of_the_writes_leaves_a_valid_image_with_the_old_or_the_new_bitmaps(string bitmap, QcowBitmapOperation[] operations)
    {
        using var temp = new TempDirectory("bitmap-crash");
        var start = temp.File("start.qcow2");
        Qemu.CreateQcow2(start, "8M", "cluster_size=4096");
        Qemu.ImgOk("bitmap", "--add", start, "b1");
        Qemu.ImgOk("bitmap", "--add", "-g", "512", "--disable", start, "d");
        Qemu.Io(start, "write 0 64k", "write 5M 4k");
        var work = temp.File("work.qcow2");
        File.Copy(start, work);
        var recorder = new WriteRecorder();
        QcowBitmaps.Apply(work, new QcowBitmapRequest { BitmapName = bitmap, Operations = operations }, recorder, CancellationToken.None);
        var before = Bitmaps(start);
        var after = Bitmaps(work);
        Assert.That(after, Is.Not.EqualTo(before), "the request changes the bitmaps");
        Assert.That(Qemu.Check(work).ExitCode, Is.Zero, () => Qemu.Img("check", work).Describe());

        var replay = temp.File("replay.qcow2");
        var writes = recorder.Writes.Where(w => !w.IsFlush).ToList();
        for (var count = 0; count <= writes.Count; count++)
        {
            File.Copy(start, replay, overwrite: true);
            using (var file = new FileStream(replay, FileMode.Open, FileAccess.Write))
            {
                foreach (var write in writes.Take(count))
                {
                    file.Position = write.Offset;
                    file.Write(write.Data);
                }
            }
            var (exitCode, _, raw) = Qemu.Check(replay);
            Assert.That(exitCode, Is.EqualTo(0).Or.EqualTo(3), () => $"after {count} of {writes.Count} writes: {raw.Describe()}");
            Assert.That(Bitmaps(replay), Is.EqualTo(before).Or.EqualTo(after), $"after {count} of {writes.Count} writes");
        }
    }

    private static string Bitmaps(string image) =>
        string.Join(" ", StoredBitmapBits.Read(image)) + " " + Qemu.Info(image)["format-specific"]?["data"]?["bitmaps"]?.ToJsonString();
}
