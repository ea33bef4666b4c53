using QcowKit.Check;
using QcowKit.Fixtures.Manifest;
using QcowKit.Image;

namespace QcowKit.Fixtures.Tests;

/// <summary>Every committed fixture against QcowKit's own validator: the qemu-img check exit code and counts the manifest records.</summary>
[NonParallelizable]
public class CorpusValidatorTests
{
    [TestCaseSource(typeof(Corpus), nameof(Corpus.Entries))]
    public void QcowChecker_gives_the_manifest_verdict(ManifestFixture fixture)
    {
        // qemu 7.2 (and QcowKit, like it) resolves a relative data file name against the current directory.
        var previous = Environment.CurrentDirectory;
        QcowCheckResult result;
        try
        {
            Environment.CurrentDirectory = Corpus.Directory;
            // As qemu-img check -f qcow2, which the manifest records: a bad magic is an image that cannot be opened, not a raw file.
            result = QcowChecker.Check(Corpus.ImagePath(fixture), new QcowCheckOptions { Format = QcowImageFormat.Qcow2 });
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
        var expected = fixture.Expected;
        var qemuPrintedNoReport = expected is { CheckExitCode: 1, Corruptions: 0, Leaks: 0, CheckErrors: 0 };
        if (qemuPrintedNoReport)
        {
            Assert.That(result.QemuExitCode, Is.EqualTo(1), () => $"{fixture.Name}: QcowChecker checked an image qemu-img cannot open: {Describe(result)}");
            return;
        }
        var actual = (result.QemuExitCode, result.Corruptions, result.Leaks, result.CheckErrors);
        Assert.That(actual, Is.EqualTo((expected.CheckExitCode, expected.Corruptions, expected.Leaks, expected.CheckErrors)),
            () => $"{fixture.Name}: QcowChecker says {actual}: {Describe(result)}");
    }

    [TestCaseSource(typeof(Corpus), nameof(Corpus.Entries))]
    public void QcowImage_opens_exactly_the_fixtures_qemu_img_info_opens(ManifestFixture fixture)
    {
        // qemu-img info opens the image's own metadata only (no backing or data file): QcowOpenOptions.Untrusted does the same.
        string? failure = null;
        try
        {
            using var image = QcowImage.Open(Corpus.ImagePath(fixture), QcowOpenOptions.Untrusted);
        }
        catch (QcowFormatException ex)
        {
            failure = ex.Message;
        }
        Assert.That(failure is null, Is.EqualTo(fixture.Expected.CanOpen),
            () => $"{fixture.Name}: the manifest says canOpen {fixture.Expected.CanOpen}; QcowImage.Open {(failure is null ? "opened it" : "refused: " + failure)}");
    }

    private static string Describe(QcowCheckResult result) => string.Join("; ", result.Findings.Take(5));
}
