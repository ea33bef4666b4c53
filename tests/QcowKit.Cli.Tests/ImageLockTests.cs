using System.Text.RegularExpressions;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// qemu's image locks through the CLI: while a real qemu-io or qemu-nbd holds an image, qcowkit refuses exactly what
/// qemu-img refuses, with qemu's reason and question and qemu-img's exit code, and leaves the image's bytes alone.
/// {img} is the held image, {other} an unheld qcow2, {out} a fresh output path.
/// </summary>
[TestFixture]
public sealed partial class ImageLockTests
{
    private TempDirectory _temp = null!;
    private string _image = null!;

    [SetUp]
    public void CreateImages()
    {
        _temp = new TempDirectory("cli-locks");
        _image = _temp.File("img.qcow2");
        Qemu.CreateQcow2(_image, "4M");
        Qemu.Io(_image, "write -P 0x5a 0 256k");
        Qemu.ImgOk("snapshot", "-c", "s", _image);
        Qemu.CreateQcow2(_temp.File("other.qcow2"), "4M");
    }

    [TearDown]
    public void RemoveImages() => _temp.Dispose();

    [TestCase("snapshot -c new {img}")]
    [TestCase("snapshot -d s {img}")]
    [TestCase("snapshot -a s {img}")]
    [TestCase("amend -o refcount_bits=64 {img}")]
    [TestCase("amend -o compat=0.10 {img}")]
    [TestCase("resize {img} +1M")]
    [TestCase("check -r leaks {img}")]
    [TestCase("check -r all {img}")]
    [TestCase("create -q -f qcow2 {img} 1M")]
    [TestCase("create -q -f raw {img} 1M")]
    [TestCase("convert -O qcow2 {other} {img}")]
    [TestCase("convert -O raw {other} {img}")]
    [TestCase("bitmap --add {img} b0")]
    [TestCase("bitmap --remove {img} b0")]
    [TestCase("dd if={other} of={img}")]
    [TestCase("dd -O qcow2 if={other} of={img}")]
    public void A_write_verb_on_an_image_qemu_io_writes_is_refused_like_qemu_img_and_changes_nothing(string verb)
    {
        var before = Hashing.Sha256OfFile(_image);
        ProcessResult ours;
        ProcessResult theirs;
        using (QemuHolder.QemuIo(_image))
        {
            ours = Cli.Run(Arguments(verb));
            Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before), "qcowkit changed the held image");
            theirs = Cli.Qemu(Arguments(verb));
        }
        AssertRefusedLikeQemu(ours, theirs, _image);
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    [TestCase("seed --generate 64k -q --overwrite {img}")]
    [TestCase("seed --generate 64k -q --existing {img}")]
    public void Seeding_onto_an_image_qemu_io_writes_is_refused_and_changes_nothing(string verb)
    {
        var before = Hashing.Sha256OfFile(_image);
        ProcessResult ours;
        using (QemuHolder.QemuIo(_image))
        {
            ours = Cli.Run(Arguments(verb));
        }
        Assert.That(ours.ExitCode, Is.EqualTo(1), ours.Describe);
        Assert.That(ours.StandardError, Is.EqualTo(
            $"qcowkit: error: {_image}: Failed to get \"write\" lock\nIs another process using the image [{_image}]?\n"));
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_temp.Path, "*.tmp"), Is.Empty, "no temporary output is left behind");
    }

    [TestCase("info {img}")]
    [TestCase("check {img}")]
    [TestCase("map {img}")]
    [TestCase("compare {img} {img}")]
    [TestCase("snapshot -l {img}")]
    [TestCase("convert -O qcow2 {img} {out}")]
    public void A_read_verb_on_an_image_qemu_io_writes_is_refused_like_qemu_img(string verb)
    {
        ProcessResult ours;
        ProcessResult theirs;
        using (QemuHolder.QemuIo(_image))
        {
            ours = Cli.Run(Arguments(verb));
            theirs = Cli.Qemu(Arguments(verb));
        }
        AssertRefusedLikeQemu(ours, theirs, _image);
        Assert.That(ours.StandardError, Does.Contain("Failed to get shared \"write\" lock"));
    }

    [TestCase("info -U {img}")]
    [TestCase("check -U {img}")]
    [TestCase("map -U {img}")]
    [TestCase("compare -U {img} {img}")]
    [TestCase("snapshot -U -l {img}")]
    [TestCase("convert -U -O qcow2 {img} {out}")]
    public void A_read_verb_with_force_share_works_while_qemu_io_writes_the_image(string verb)
    {
        ProcessResult ours;
        ProcessResult theirs;
        using (QemuHolder.QemuIo(_image))
        {
            ours = Cli.Run(Arguments(verb));
            theirs = Cli.Qemu(Arguments(verb));
        }
        Assert.That(theirs.ExitCode, Is.Zero, theirs.Describe);
        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode), ours.Describe);
        Assert.That(ours.StandardError, Is.Empty);
    }

    [TestCase("info {img}")]
    [TestCase("check {img}")]
    [TestCase("map {img}")]
    [TestCase("compare {img} {img}")]
    [TestCase("snapshot -l {img}")]
    [TestCase("convert -O qcow2 {img} {out}")]
    public void A_read_verb_works_while_qemu_io_only_reads_the_image(string verb)
    {
        ProcessResult ours;
        ProcessResult theirs;
        using (QemuHolder.QemuIo(_image, readOnly: true))
        {
            ours = Cli.Run(Arguments(verb));
            theirs = Cli.Qemu(Arguments(verb));
        }
        Assert.That(theirs.ExitCode, Is.Zero, theirs.Describe);
        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
    }

    [TestCase("snapshot -c new {img}")]
    [TestCase("amend -o refcount_bits=64 {img}")]
    [TestCase("check -r leaks {img}")]
    [TestCase("create -q -f qcow2 {img} 1M")]
    public void A_write_verb_is_refused_while_qemu_io_only_reads_the_image(string verb)
    {
        var before = Hashing.Sha256OfFile(_image);
        ProcessResult ours;
        ProcessResult theirs;
        using (QemuHolder.QemuIo(_image, readOnly: true))
        {
            ours = Cli.Run(Arguments(verb));
            theirs = Cli.Qemu(Arguments(verb));
        }
        AssertRefusedLikeQemu(ours, theirs, _image);
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    [TestCase("snapshot -c new {img}", false)]
    [TestCase("resize {img} +1M", false)]
    [TestCase("info {img}", false)]
    [TestCase("snapshot -c new {img}", true)]
    public void Qemu_nbd_exporting_the_image_refuses_what_qemu_img_refuses(string verb, bool readOnlyExport)
    {
        var before = Hashing.Sha256OfFile(_image);
        ProcessResult ours;
        ProcessResult theirs;
        using (QemuHolder.QemuNbd(_image, _temp.File("nbd.sock"), readOnlyExport))
        {
            ours = Cli.Run(Arguments(verb));
            theirs = Cli.Qemu(Arguments(verb));
        }
        AssertRefusedLikeQemu(ours, theirs, _image);
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Resizing_a_raw_file_qemu_nbd_exports_is_refused_like_qemu_img(bool readOnlyExport)
    {
        var raw = _temp.File($"export-{readOnlyExport}.raw");
        File.WriteAllBytes(raw, new byte[4096]);
        ProcessResult ours;
        ProcessResult theirs;
        using (QemuHolder.QemuNbd(raw, _temp.File($"raw-{readOnlyExport}.sock"), readOnlyExport, format: "raw"))
        {
            ours = Cli.Run("resize", "-f", "raw", raw, "+1M");
            theirs = Cli.Qemu("resize", "-f", "raw", raw, "+1M");
        }
        AssertRefusedLikeQemu(ours, theirs, raw);
        Assert.That(new FileInfo(raw).Length, Is.EqualTo(4096));
    }

    [Test]
    public void Resizing_a_raw_file_qemu_io_writes_goes_ahead_as_with_qemu_img()
    {
        // qemu-img resize shares write and resize on a raw file, and qemu-io's raw writer shares resize.
        var raw = _temp.File("written.raw");
        File.WriteAllBytes(raw, new byte[4096]);
        ProcessResult ours;
        ProcessResult theirs;
        using (QemuHolder.QemuIo(raw, format: "raw"))
        {
            theirs = Cli.Qemu("resize", "-f", "raw", raw, "+4k");
            ours = Cli.Run("resize", "-f", "raw", raw, "+4k");
        }
        Assert.That((theirs.ExitCode, ours.ExitCode), Is.EqualTo((0, 0)), () => $"{theirs.Describe()}\n{ours.Describe()}");
        Assert.That(new FileInfo(raw).Length, Is.EqualTo(3 * 4096));
    }

    [Test]
    public void Create_onto_a_file_a_raw_writer_holds_is_refused_before_it_is_truncated()
    {
        // qemu-img 7.2 passes its create step here (the raw writer keeps nobody from writing), truncates the file, then
        // fails to open it and deletes it. QcowKit takes the whole write set before it truncates: same message, file intact.
        var before = Hashing.Sha256OfFile(_image);
        ProcessResult ours;
        using (QemuHolder.QemuIo(_image, format: "raw"))
        {
            ours = Cli.Run("create", "-q", "-f", "qcow2", _image, "1M");
        }
        Assert.That(ours.ExitCode, Is.EqualTo(1), ours.Describe);
        Assert.That(ours.StandardError, Is.EqualTo(
            $"qcowkit: error: {_image}: Failed to get shared \"write\" lock\nIs another process using the image [{_image}]?\n"));
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    [TestCase("check -U -r leaks {img}")]
    [TestCase("snapshot -U -c new {img}")]
    [TestCase("snapshot -U -d s {img}")]
    public void Force_share_with_a_verb_that_writes_is_refused_with_qemus_message(string verb)
    {
        var before = Hashing.Sha256OfFile(_image);
        var ours = Cli.Run(Arguments(verb));
        var theirs = Cli.Qemu(Arguments(verb));
        Assert.That(theirs.StandardError, Does.Contain("force-share=on can only be used with read-only images"), theirs.Describe);
        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode), ours.Describe);
        Assert.That(ours.StandardError, Is.EqualTo($"qcowkit: error: {_image}: force-share=on can only be used with read-only images\n"));
        Assert.That(Hashing.Sha256OfFile(_image), Is.EqualTo(before));
    }

    [Test]
    public void A_backing_file_qemu_io_writes_refuses_a_check_of_its_overlay_but_not_info()
    {
        var overlay = _temp.File("overlay.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", _image, "-F", "qcow2", overlay);
        ProcessResult check;
        ProcessResult qemuCheck;
        ProcessResult info;
        using (QemuHolder.QemuIo(_image))
        {
            check = Cli.Run("check", overlay);
            qemuCheck = Cli.Qemu("check", overlay);
            info = Cli.Run("info", overlay);
        }
        Assert.That(qemuCheck.StandardError, Does.Contain("Could not open backing file: Failed to get shared \"write\" lock"), qemuCheck.Describe);
        Assert.That(check.ExitCode, Is.EqualTo(qemuCheck.ExitCode), check.Describe);
        Assert.That(check.StandardError, Is.EqualTo(
            $"qcowkit: error: {_image}: Failed to get shared \"write\" lock\nIs another process using the image [{_image}]?\n"));
        Assert.That(info.ExitCode, Is.Zero, info.Describe);
    }

    private string[] Arguments(string verb) =>
        [.. verb.Split(' ').Select(word => word
            .Replace("{img}", _image, StringComparison.Ordinal)
            .Replace("{other}", _temp.File("other.qcow2"), StringComparison.Ordinal)
            .Replace("{out}", _temp.File("out.qcow2"), StringComparison.Ordinal))];

    /// <summary>Same exit code as qemu-img, qemu's reason after the file name, and qemu's question on the next line.</summary>
    private static void AssertRefusedLikeQemu(ProcessResult ours, ProcessResult theirs, string image)
    {
        var reason = QemuReason().Match(theirs.StandardError);
        Assert.That(reason.Success, Is.True, () => $"qemu-img did not refuse: {theirs.Describe()}");
        Assert.That(theirs.StandardError, Does.EndWith($"Is another process using the image [{image}]?\n"));
        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode), ours.Describe);
        Assert.That(ours.StandardError, Does.EndWith($"qcowkit: error: {image}: {reason.Value}\nIs another process using the image [{image}]?\n"), ours.Describe);
    }

    [GeneratedRegex("Failed to get (shared )?\"[a-z ]+\" lock")]
    private static partial Regex QemuReason();
}
