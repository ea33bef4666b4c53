using System.Text.RegularExpressions;
using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary><c>qcowkit check --report</c>: the HTML report beside the usual output, and how a real browser renders it.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed partial class CheckReportTests
{
    /// <summary>A leak (one cluster past the data with refcount 1) and a compressed cluster, so the map has several kinds.</summary>
    private static string LeakyImage(TempDirectory temp)
    {
        var image = temp.File("leaky.qcow2");
        Qemu.CreateQcow2(image, "64M");
        Qemu.Io(image, "write -P 0x11 0 128k", "write -c -P 0x22 1M 64k");
        var newCluster = (new FileInfo(image).Length + 65535) / 65536;
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength((newCluster + 1) * 65536);
            stream.Position = 0x20000 + 2 * newCluster;
            stream.Write([0, 1]);
        }
        return image;
    }

    [Test]
    public void Report_is_written_beside_the_usual_output_and_the_exit_code_stays()
    {
        using var temp = new TempDirectory("cli-report");
        var image = LeakyImage(temp);
        var before = File.ReadAllBytes(image);
        var report = temp.File("report.html");

        var plain = Cli.Run("check", image);
        var ours = Cli.Run("check", "--report", report, image);

        Assert.That(ours.ExitCode, Is.EqualTo(3).And.EqualTo(plain.ExitCode), ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(plain.StandardOutput));
        Assert.That(File.ReadAllBytes(image), Is.EqualTo(before), "the report never goes into the image");
        var html = File.ReadAllText(report);
        Assert.That(html, Does.Contain("QCOW0202").And.Contain("leaked clusters were found").And.Contain("<rect class=\"k-leaked\""));
        Assert.That(Directory.GetFiles(temp.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "leaky.qcow2", "report.html" }));
    }

    [Test]
    public void Report_is_written_for_a_file_that_cannot_be_checked()
    {
        using var temp = new TempDirectory("cli-report-bad");
        var image = temp.File("bad.qcow2");
        // qcow2 magic and version 3, cluster_bits 0: qemu-img check cannot open it.
        File.WriteAllBytes(image, [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3, .. new byte[1016]]);
        var report = temp.File("report.html");

        var ours = Cli.Run("check", "--report", report, image);

        Assert.That(ours.ExitCode, Is.EqualTo(Cli.Run("check", image).ExitCode).And.EqualTo(1), ours.Describe);
        Assert.That(File.ReadAllText(report), Does.Contain("Check failed").Or.Contain("Could not open"));
    }

    [Test]
    public void Report_with_a_policy_shows_the_policy_verdict()
    {
        using var temp = new TempDirectory("cli-report-policy");
        var image = LeakyImage(temp);
        var report = temp.File("report.html");

        var ours = Cli.Run("check", "--leaks-as-errors", "--report", report, image);

        Assert.That(ours.ExitCode, Is.EqualTo(2), ours.Describe);
        Assert.That(File.ReadAllText(report), Does.Contain("Failed the validation policy").And.Contain("<td>Blocks</td>").And.Contain("<rect class=\"k-leaked\""));
    }

    /// <summary>Chromium (Debian's <c>chromium</c> package) renders the report headless: a screenshot, no console errors, every region drawn.</summary>
    [Test]
    public void Chromium_renders_the_report_without_errors()
    {
        // Like qemu-img for the other tests, a missing browser fails rather than skips: .ci/run installs it.
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new AssertionException("chromium is not installed (apt-get install -y chromium)");
        using var temp = new TempDirectory("cli-report-chromium");
        var image = LeakyImage(temp);
        var report = temp.File("report.html");
        Assert.That(Cli.Run("check", "--report", report, image).ExitCode, Is.EqualTo(3));
        var expected = QcowChecker.Check(image, new QcowCheckOptions { CollectHostMap = true }).HostMap!.Coarsen(QcowHostMap.DefaultMaxRuns).Runs;
        var url = new Uri(report).AbsoluteUri;
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + temp.File("profile")];

        var screenshot = temp.File("out.png");
        var shot = ProcessRunner.Run(chromium, [.. common, "--screenshot=" + screenshot, "--window-size=1200,900", url], timeout: TimeSpan.FromMinutes(2));
        Assert.That(File.Exists(screenshot), shot.Describe());
        Assert.That(new FileInfo(screenshot).Length, Is.GreaterThan(10_000), "a blank page compresses to far less");

        var dump = ProcessRunner.Run(chromium, [.. common, "--enable-logging=stderr", "--v=0", "--dump-dom", url], timeout: TimeSpan.FromMinutes(2));
        Assert.That(dump.ExitCode, Is.Zero, dump.Describe());
        var consoleErrors = dump.StandardError.Split('\n').Where(line => line.Contains("Uncaught", StringComparison.Ordinal)
            || (line.Contains("CONSOLE", StringComparison.OrdinalIgnoreCase) && line.Contains("ERROR", StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.That(consoleErrors, Is.Empty);
        var rects = RectRegex().Matches(dump.StandardOutput).Select(m => m.Groups[1].Value).ToList();
        Assert.That(rects, Has.Count.EqualTo(expected.Count));
        Assert.That(rects.Count(c => c == "k-leaked"), Is.EqualTo(expected.Count(r => r.Kind == QcowClusterKind.Leaked)).And.EqualTo(1));
        Assert.That(rects, Does.Contain("k-compressed").And.Contain("k-header").And.Contain("k-data"));
    }

    [GeneratedRegex("<rect class=\"(k-[a-z0-9]+)\"")]
    private static partial Regex RectRegex();
}
