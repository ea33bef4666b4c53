using System.Diagnostics;
using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>
/// Untrusted mode: findings for everything an uploaded image could use to reach other files, and
/// proof that nothing but the image is opened. The "secret" is a FIFO: opening it for reading blocks
/// until a writer appears, so any attempt to open it would hang the check (caught by a timeout),
/// while reading its name or resolving links never touches it.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class UntrustedCheckTests
{
    private static QcowCheckResult CheckWithin(string image, QcowCheckOptions options)
    {
        var task = Task.Run(() => QcowChecker.Check(image, options));
        Assert.That(task.Wait(TimeSpan.FromSeconds(20)), Is.True, "the check blocked: it opened the FIFO named by the image");
        return task.Result;
    }

    private static string MakeFifo(string path)
    {
        var mkfifo = ProcessRunner.Run("mkfifo", [path]);
        Assert.That(mkfifo.ExitCode, Is.Zero, mkfifo.Describe);
        return path;
    }

    [Test]
    public void Untrusted_check_never_opens_a_backing_file_pointing_at_a_secret()
    {
        using var temp = new TempDirectory("untrusted-backing");
        var secret = MakeFifo(temp.File("secret"));
        var image = temp.File("upload.qcow2");
        Qemu.ImgOk("create", "-q", "-u", "-f", "qcow2", "-b", secret, "-F", "raw", image, "64M");

        var result = CheckWithin(image, new QcowCheckOptions { Untrusted = true, Deep = true });

        Assert.That(result.Findings.Select(f => f.Code), Does.Contain(QcowFindingCodes.BackingFileReference));
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.QemuExitCode, Is.Zero, "the image itself is consistent");
    }

    [Test]
    public void Untrusted_check_never_opens_an_external_data_file_pointing_at_a_secret()
    {
        using var temp = new TempDirectory("untrusted-data");
        var image = temp.File("upload.qcow2");
        var dataFile = temp.File("data.raw");
        Qemu.CreateQcow2(image, "64M", "data_file=" + dataFile);
        Qemu.Io(image, "write -P 0x11 0 64k");
        File.Delete(dataFile);
        MakeFifo(dataFile);

        var result = CheckWithin(image, new QcowCheckOptions { Untrusted = true });

        Assert.That(result.Findings.Select(f => f.Code), Does.Contain(QcowFindingCodes.DataFileReference));
        Assert.That(result.ExitCode, Is.EqualTo(2));
    }

    [Test]
    public void Untrusted_check_reports_json_pseudo_names()
    {
        using var temp = new TempDirectory("untrusted-json");
        var image = temp.File("upload.qcow2");
        Qemu.ImgOk("create", "-q", "-u", "-f", "qcow2", "-b", "json:{\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"/etc/shadow\"}}", "-F", "raw", image, "64M");

        var result = CheckWithin(image, new QcowCheckOptions { Untrusted = true });

        Assert.That(result.Findings.Select(f => f.Code), Does.Contain(QcowFindingCodes.ProtocolFileName));
    }

    [Test]
    public void Untrusted_check_reports_a_backing_file_that_a_symlink_in_an_allowed_folder_leads_outside()
    {
        using var temp = new TempDirectory("untrusted-symlink");
        var allowed = Directory.CreateDirectory(temp.File("allowed")).FullName;
        var outside = Directory.CreateDirectory(temp.File("outside")).FullName;
        var secret = MakeFifo(Path.Combine(outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(allowed, "base.raw"), secret);
        var image = temp.File("upload.qcow2");
        Qemu.ImgOk("create", "-q", "-u", "-f", "qcow2", "-b", Path.Combine(allowed, "base.raw"), "-F", "raw", image, "64M");

        var result = CheckWithin(image, new QcowCheckOptions { Untrusted = true, AllowedDirectories = [allowed] });

        Assert.That(result.Findings.Select(f => f.Code), Does.Contain(QcowFindingCodes.ReferenceOutsideAllowedDirectories));
        Assert.That(result.ExitCode, Is.EqualTo(2));
    }

    [Test]
    public void Untrusted_check_accepts_a_backing_file_inside_an_allowed_folder()
    {
        using var temp = new TempDirectory("untrusted-allowed");
        var allowed = Directory.CreateDirectory(temp.File("allowed")).FullName;
        var baseImage = Path.Combine(allowed, "base.qcow2");
        Qemu.CreateQcow2(baseImage, "64M");
        var image = temp.File("upload.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "allowed/base.qcow2", "-F", "qcow2", image, "64M");

        var result = CheckWithin(image, new QcowCheckOptions { Untrusted = true, AllowedDirectories = [allowed] });

        Assert.That(result.Findings.Where(f => f.Severity == QcowFindingSeverity.Error), Is.Empty);
        Assert.That(result.ExitCode, Is.Zero);
    }

    [Test]
    public void Untrusted_check_reports_encryption_unknown_bits_extensions_and_huge_sizes()
    {
        using var temp = new TempDirectory("untrusted-header");
        var image = temp.File("upload.qcow2");
        Qemu.CreateQcow2(image, "16T");
        using (var e = new QcowFileEditor(image))
        {
            e.SetU64(80, e.U64(80) | (1UL << 9));
            e.SetU64(88, e.U64(88) | (1UL << 7));
            // An unknown extension in place of the end marker after the feature name table.
            var offset = (ulong)e.U32(100);
            while (e.U32(offset) != 0) offset += 8 + ((e.U32(offset + 4) + 7) & ~7U);
            e.SetU32(offset, 0x12345678);
            e.SetU32(offset + 4, 8);
            e.SetU64(offset + 8, 0);
            e.SetU64(offset + 16, 0);
        }

        var result = CheckWithin(image, new QcowCheckOptions { Untrusted = true, MaxVirtualSize = 1L << 40 });
        var codes = result.Findings.Select(f => f.Code).ToList();

        Assert.That(codes, Does.Contain(QcowFindingCodes.UnknownFeatureBits));
        Assert.That(codes, Does.Contain(QcowFindingCodes.UnknownHeaderExtension));
        Assert.That(codes, Does.Contain(QcowFindingCodes.VirtualSizeTooLarge));
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(Qemu.Check(image).ExitCode, Is.Zero, "qemu calls the image clean");
    }

    [Test]
    public void Untrusted_check_reports_an_encrypted_image()
    {
        using var temp = new TempDirectory("untrusted-encrypted");
        var image = temp.File("encrypted.qcow2");
        Qemu.CreateEncrypted(image, "64M");

        var result = CheckWithin(image, new QcowCheckOptions { Untrusted = true });

        Assert.That(result.Findings.Select(f => f.Code), Does.Contain(QcowFindingCodes.Encrypted));
        Assert.That(result.ExitCode, Is.Not.Zero);
    }
}
