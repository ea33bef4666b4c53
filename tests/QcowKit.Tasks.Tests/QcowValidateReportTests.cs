using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

/// <summary><c>QcowValidate ReportFile</c>: the HTML report a CI job keeps as an artifact, also for a failing image.</summary>
public sealed class QcowValidateReportTests
{
    private static (bool Ok, FakeBuildEngine Engine) Run(Action<QcowValidate> configure)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowValidate { BuildEngine = engine };
        configure(task);
        return (task.Execute(), engine);
    }

    [Test]
    public void ReportFile_is_written_for_a_failing_image()
    {
        using var temp = new TempDirectory("validate-report");
        var path = TestImages.RefcountZero(temp);
        var report = temp.File("report.html");
        var (ok, engine) = Run(t => { t.Image = [TestImages.Item(path)]; t.ReportFile = report; });
        Assert.That(ok, Is.False, engine.Describe);
        var html = File.ReadAllText(report);
        Assert.That(html, Does.Contain(QcowFindingCodes.RefcountZero).And.Contain("<rect class=\"k-multiplyreferenced\"")
            .And.Contain("Failed the validation policy").And.Contain("<td>Blocks</td>"));
    }

    [Test]
    public void ReportFile_metadata_names_each_image_own_report()
    {
        using var temp = new TempDirectory("validate-report-items");
        var leaky = TestImages.Leaking(temp);
        var clean = TestImages.Clean(temp);
        var (ok, engine) = Run(t => t.Image = [TestImages.Item(leaky, ("ReportFile", temp.File("leaky.html"))), TestImages.Item(clean, ("ReportFile", temp.File("clean.html")))]);
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(File.ReadAllText(temp.File("leaky.html")), Does.Contain("<rect class=\"k-leaked\""));
        Assert.That(File.ReadAllText(temp.File("clean.html")), Does.Contain("Passed the validation policy").And.Not.Contain("<rect class=\"k-leaked\""));
    }

    [Test]
    public void One_ReportFile_for_several_images_is_refused()
    {
        using var temp = new TempDirectory("validate-report-many");
        var a = TestImages.Clean(temp, "a.qcow2");
        var b = TestImages.Clean(temp, "b.qcow2");
        var (ok, engine) = Run(t => { t.Image = [TestImages.Item(a), TestImages.Item(b)]; t.ReportFile = temp.File("r.html"); });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Does.Contain("QCOW1057"), engine.Describe);
        Assert.That(File.Exists(temp.File("r.html")), Is.False);
    }
}
