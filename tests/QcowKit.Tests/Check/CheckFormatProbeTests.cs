using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Check;

/// <summary>QcowChecker probes the format as qemu-img check does, unless told the format.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class CheckFormatProbeTests
{
    [Test]
    public void A_file_without_the_qcow2_magic_is_raw_and_raw_has_no_checks()
    {
        using var temp = new TempDirectory("check-probe");
        var image = temp.File("disk.raw");
        File.WriteAllBytes(image, new byte[65536]);

        var ours = QcowChecker.Check(image);

        Assert.That(ours.Format, Is.EqualTo(QcowImageFormat.Raw));
        Assert.That(ours.Completed, Is.False);
        Assert.That(ours.Failure, Is.EqualTo("This image format does not support checks"));
        Assert.That(ours.Findings.Single().Code, Is.EqualTo(QcowFindingCodes.FormatWithoutChecks));
        Assert.That(ours.ExitCode, Is.EqualTo(Qemu.Img("check", image).ExitCode).And.EqualTo(QcowCheckResult.FormatWithoutChecksExitCode));
    }

    [Test]
    public void Insisting_on_qcow2_makes_the_same_file_an_image_that_cannot_be_opened()
    {
        using var temp = new TempDirectory("check-probe");
        var image = temp.File("disk.raw");
        File.WriteAllBytes(image, new byte[65536]);

        var ours = QcowChecker.Check(image, new QcowCheckOptions { Format = QcowImageFormat.Qcow2 });

        Assert.That(ours.ExitCode, Is.EqualTo(Qemu.Check(image).ExitCode).And.EqualTo(1));
        Assert.That(ours.Findings.Single().Code, Is.EqualTo(QcowFindingCodes.CannotOpen));
        Assert.That(ours.Failure, Does.StartWith("magic at offset 0"));
    }
}
