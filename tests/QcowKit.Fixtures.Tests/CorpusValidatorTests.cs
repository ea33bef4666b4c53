using QcowKit.Check;
using QcowKit.Fixtures.Manifest;

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
            result = QcowChecker.Check(Corpus.ImagePath(fixture));
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

    private static string Describe(QcowCheckResult result) => string.Join("; ", result.Findings.Take(5));
}
