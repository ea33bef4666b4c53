using Microsoft.Win32.SafeHandles;
using QcowKit.Check;
using QcowKit.Compare;
using QcowKit.Image;
using QcowKit.Image.Locking;
using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Locking;

/// <summary>
/// The engine's qemu image locks, both ways: every engine operation that writes refuses an image a real qemu-io
/// holds (QcowImageLockedException with qemu's text, bytes unchanged), and qemu refuses an image QcowKit holds.
/// </summary>
[TestFixture]
public sealed class ImageLockTests
{
    private TempDirectory _temp = null!;
    private string _image = null!;

    [SetUp]
    public void CreateImage()
    {
        _temp = new TempDirectory("locks");
        _image = _temp.File("img.qcow2");
        Qemu.CreateQcow2(_image, "4M");
        Qemu.Io(_image, "write -P 0x5a 0 256k");
        Qemu.ImgOk("snapshot", "-c", "s", _image);
    }

    [TearDown]
    public void RemoveImage() => _temp.Dispose();

    private static IEnumerable<TestCaseData> WritingOperations()
    {
        yield return Case("open read-write", image => QcowImage.Open(image, new QcowOpenOptions { Access = FileAccess.ReadWrite }).Dispose());
        yield return Case("create a snapshot", image => QcowImage.Open(image, new QcowOpenOptions { Access = FileAccess.ReadWrite }).CreateSnapshot("x"));
        yield return Case("amend refcount_bits", image => QcowImage.Amend(image, QcowAmendOptions.Parse("refcount_bits=64")));
        yield return Case("repair leaks", image => QcowChecker.Check(image, new QcowCheckOptions { Repair = QcowRepairMode.Leaks }));
        yield return Case("create onto it", image => QcowImage.Create(image, new QcowCreateOptions { Size = 1 << 20 }).Dispose());
        yield return Case("convert onto it as qcow2", image => QcowConverter.Convert(Other(image), null, image, new QcowConvertOptions()));
        yield return Case("convert onto it as raw", image => QcowConverter.Convert(Other(image), null, image, new QcowConvertOptions { OutputFormat = QcowImageFormat.Raw }));
        yield return Case("seed a new image onto it", image => QcowSeeder.WriteGeneratedData(image,
            new GeneratedDataSeedOptions { Length = 65536 }, new SeedTargetOptions { Overwrite = true }));
        yield return Case("seed into it", image => QcowSeeder.WriteGeneratedData(image,
            new GeneratedDataSeedOptions { Length = 65536 }, new SeedTargetOptions { UseExisting = true }));

        static TestCaseData Case(string name, Action<string> operation) => new TestCaseData(operation).SetArgDisplayNames(name);
    }

    /// <summary>An unheld qcow2 beside the held image, as a conversion source.</summary>
    private static string Other(string image)
    {
        var other = Path.Combine(Path.GetDirectoryName(image)!, "other.qcow2");
        if (!File.Exists(other)) Qemu.CreateQcow2(other, "4M");
        return other;
    }

    [TestCaseSource(nameof(WritingOperations))]
    public void A_writing_operation_refuses_an_image_qemu_io_holds_and_writes_nothing(Action<string> operation)
    {
        Other(_image);
        var before = Hashing.Sha256OfFile(_image);
        QcowImageLockedException? refusal;
        using (QemuHolder.QemuIo(_image))
        {
            refusal = Assert.Throws<QcowImageLockedException>(() => operation(_image));
        }
        Assert.That(refusal!.FileName, Is.EqualTo(_image));
        Assert.That(refusal.Reason, Is.EqualTo("Failed to get \"write\" lock"));
        Assert.That(refusal.Message, Is.EqualTo($"Failed to get \"write\" lock\nIs another process using the image [{_image}]?"));
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    [Test]
    public void Reading_an_image_qemu_io_writes_is_refused_unless_force_share_is_asked_for()
    {
        using (QemuHolder.QemuIo(_image))
        {
            var refusal = Assert.Throws<QcowImageLockedException>(() => QcowImage.Open(_image).Dispose());
            Assert.That(refusal!.Reason, Is.EqualTo("Failed to get shared \"write\" lock"));
            using var shared = QcowImage.Open(_image, new QcowOpenOptions { ForceShare = true });
            Assert.That(shared.Snapshots.Select(s => s.Name), Is.EqualTo(new[] { "s" }));
        }
    }

    [Test]
    public void Checking_and_comparing_an_image_qemu_io_writes_works_only_with_force_share()
    {
        using (QemuHolder.QemuIo(_image))
        {
            Assert.Throws<QcowImageLockedException>(() => QcowChecker.Check(_image));
            Assert.Throws<QcowImageLockedException>(() => QcowComparer.Compare(_image, null, _image, null, strict: false));
            Assert.That(QcowChecker.Check(_image, new QcowCheckOptions { ForceShare = true }).ExitCode, Is.Zero);
            var shared = new QcowOpenOptions { ForceShare = true };
            Assert.That(QcowComparer.Compare(_image, null, _image, null, strict: false, shared).Identical, Is.True);
        }
    }

    [Test]
    public void Force_share_with_a_write_is_refused_before_anything_is_opened()
    {
        var before = Hashing.Sha256OfFile(_image);
        var open = Assert.Throws<QcowOptionsException>(() => QcowImage.Open(_image, new QcowOpenOptions { Access = FileAccess.ReadWrite, ForceShare = true }));
        Assert.That(open!.Message, Does.StartWith("force-share=on can only be used with read-only images"));
        var check = Assert.Throws<QcowOptionsException>(() => QcowChecker.Check(_image, new QcowCheckOptions { Repair = QcowRepairMode.Leaks, ForceShare = true }));
        Assert.That(check!.Message, Does.StartWith("force-share=on can only be used with read-only images"));
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    [Test]
    public void While_QcowKit_writes_an_image_qemu_refuses_to_snapshot_amend_or_write_it()
    {
        using var image = QcowImage.Open(_image, new QcowOpenOptions { Access = FileAccess.ReadWrite });
        var snapshot = Qemu.Img("snapshot", "-c", "x", _image);
        var amend = Qemu.Img("amend", "-o", "refcount_bits=64", _image);
        var write = ProcessRunner.Run(Qemu.IoPath, ["-c", "write 0 4k", _image]);
        var held = $"Failed to get \"write\" lock\nIs another process using the image [{_image}]?\n";
        Assert.That(snapshot.ExitCode, Is.EqualTo(1));
        Assert.That(snapshot.StandardError, Is.EqualTo($"qemu-img: Could not open '{_image}': {held}"));
        Assert.That(amend.ExitCode, Is.EqualTo(1));
        Assert.That(amend.StandardError, Is.EqualTo($"qemu-img: Could not open '{_image}': {held}"));
        Assert.That(write.StandardError, Is.EqualTo($"qemu-io: can't open device {_image}: {held}"));
        Assert.That(Qemu.Img("info", _image).StandardError, Does.Contain("Failed to get shared \"write\" lock"));
    }

    [Test]
    public void While_QcowKit_reads_an_image_qemu_img_info_works_exactly_as_with_qemu_io_reading_it()
    {
        ProcessResult besideQemu;
        using (QemuHolder.QemuIo(_image, readOnly: true))
        {
            besideQemu = Qemu.Img("info", "--output=json", _image);
        }
        ProcessResult besideQcowKit;
        ProcessResult snapshotBesideQcowKit;
        using (QcowImage.Open(_image))
        {
            besideQcowKit = Qemu.Img("info", "--output=json", _image);
            snapshotBesideQcowKit = Qemu.Img("snapshot", "-c", "x", _image);
        }
        Assert.That(besideQemu.ExitCode, Is.Zero, besideQemu.Describe);
        Assert.That(besideQcowKit.ExitCode, Is.EqualTo(besideQemu.ExitCode), besideQcowKit.Describe);
        Assert.That(besideQcowKit.StandardOutput, Is.EqualTo(besideQemu.StandardOutput));
        Assert.That(snapshotBesideQcowKit.StandardError, Does.Contain("Failed to get \"write\" lock"));
    }

    [Test]
    public void While_QcowKit_reads_with_force_share_qemu_io_may_write()
    {
        using var image = QcowImage.Open(_image, new QcowOpenOptions { ForceShare = true });
        var write = ProcessRunner.Run(Qemu.IoPath, ["-c", "write -P 0x11 0 4k", _image]);
        Assert.That(write.ExitCode, Is.Zero, write.Describe);
    }

    [Test]
    public void Disposing_the_image_releases_its_locks()
    {
        QcowImage.Open(_image, new QcowOpenOptions { Access = FileAccess.ReadWrite }).Dispose();
        Assert.That(Qemu.Img("snapshot", "-c", "x", _image).ExitCode, Is.Zero);
    }

    [Test]
    public void A_data_file_another_image_writes_through_qemu_io_is_refused_like_qemu_img_unless_force_share()
    {
        var data = _temp.File("shared.raw");
        var first = _temp.File("first.qcow2");
        var second = _temp.File("second.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-o", $"data_file={data}", first, "1M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-o", $"data_file={data}", second, "1M");
        ProcessResult theirs;
        using (QemuHolder.QemuIo(first))
        {
            theirs = Qemu.Img("snapshot", "-l", second);
            var refusal = Assert.Throws<QcowImageLockedException>(() => QcowImage.Open(second).Dispose());
            Assert.That(refusal!.Message, Is.EqualTo($"Failed to get shared \"resize\" lock\nIs another process using the image [{data}]?"));
            QcowImage.Open(second, new QcowOpenOptions { ForceShare = true }).Dispose();
        }
        Assert.That(theirs.StandardError, Is.EqualTo(
            $"qemu-img: Could not open '{second}': Failed to get shared \"resize\" lock\nIs another process using the image [{data}]?\n"));
    }

    [Test]
    public void A_raw_data_file_qemu_io_writes_directly_does_not_keep_QcowKit_or_qemu_img_from_writing_its_image()
    {
        var data = _temp.File("ext.raw");
        var image = _temp.File("ext.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-o", $"data_file={data}", image, "1M");
        using (QemuHolder.QemuIo(data, format: "raw"))
        {
            Assert.That(Qemu.Img("check", "-r", "leaks", image).ExitCode, Is.Zero);
            QcowImage.Open(image, new QcowOpenOptions { Access = FileAccess.ReadWrite }).Dispose();
        }
    }

    [Test]
    public void The_lock_api_refuses_a_second_writer_in_the_same_process_and_releases_on_dispose()
    {
        using var first = File.OpenHandle(_image, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        using var second = File.OpenHandle(_image, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var held = ImageFileLock.Acquire(first, "img.qcow2", ImageLockMode.Write);
        Assert.That(held.IsHeld, Is.True);
        var refusal = Assert.Throws<QcowImageLockedException>(() => ImageFileLock.Acquire(second, "img.qcow2", ImageLockMode.Write));
        Assert.That(refusal!.Message, Is.EqualTo("Failed to get \"write\" lock\nIs another process using the image [img.qcow2]?"));
        held.Dispose();
        using var now = ImageFileLock.Acquire(second, "img.qcow2", ImageLockMode.Write);
        Assert.That(now.IsHeld, Is.True);
    }

    [Test]
    public void A_refused_acquisition_leaves_no_lock_byte_behind()
    {
        using var holder = File.OpenHandle(_image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var refused = File.OpenHandle(_image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using (ImageFileLock.Acquire(holder, "img.qcow2", ImageLockMode.Read))
        {
            Assert.Throws<QcowImageLockedException>(() => ImageFileLock.Acquire(refused, "img.qcow2", ImageLockMode.Write));
        }
        using var probe = File.OpenHandle(_image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Assert.That(Enumerable.Range(100, 4).Concat(Enumerable.Range(200, 4)).Where(b => OfdLocks.HeldByOthers(probe, b)), Is.Empty);
    }

    [Test]
    public void Disposing_the_image_releases_its_locks_while_a_child_process_still_holds_a_copy_of_its_descriptor()
    {
        // A process another thread is starting holds a copy of every descriptor until it execs; dup() makes the same copy.
        var image = QcowImage.Open(_image, new QcowOpenOptions { Access = FileAccess.ReadWrite });
        var copy = Dup((int)image.ImageFile.OsHandle!.DangerousGetHandle());
        Assert.That(copy, Is.GreaterThanOrEqualTo(0));
        using var childCopy = new SafeFileHandle(copy, ownsHandle: true);
        image.Dispose();
        Qemu.ImgOk("snapshot", "-c", "after", _image);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int descriptor);
}
