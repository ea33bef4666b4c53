using Cake.Core;
using Cake.Core.IO;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

/// <summary><c>QcowValidateSettings.WithReport</c>: the HTML report, written relative to Cake's working directory, also when validation throws.</summary>
[TestFixture]
public sealed class QcowValidateReportAliasTests
{
    [Test]
    public void WithReport_writes_the_report_relative_to_the_working_directory_even_when_validation_fails()
    {
        using var temp = new TempDirectory("cake-validate-report");
        var image = temp.File("leaky.qcow2");
        Qemu.CreateQcow2(image, "64M");
        Qemu.Io(image, "write -P 0x33 0 128k");
        var newCluster = (new FileInfo(image).Length + 65535) / 65536;
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.ReadWrite))
        {
            // One cluster more with refcount 1 and nothing pointing at it: a leak.
            stream.SetLength((newCluster + 1) * 65536);
            stream.Position = 0x20000 + 2 * newCluster;
            stream.Write([0, 1]);
        }
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowValidate(new FilePath(image), new QcowValidateSettings().WithLeaksAsErrors().WithReport(new FilePath("out/report.html"))),
            Throws.InstanceOf<CakeException>());

        var html = File.ReadAllText(System.IO.Path.Combine(temp.Path, "out", "report.html"));
        Assert.That(html, Does.Contain("<rect class=\"k-leaked\"").And.Contain("QCOW0202").And.Contain("Failed the validation policy"));
    }
}
