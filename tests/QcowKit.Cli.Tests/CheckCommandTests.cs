using System.Text.Json.Nodes;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary><c>qcowkit check</c> against <c>qemu-img check</c>: exit codes, JSON keys and values, human summary.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class CheckCommandTests
{
    private static string LeakyImage(TempDirectory temp)
    {
        var image = temp.File("leaky.qcow2");
        Qemu.CreateQcow2(image, "64M");
        Qemu.Io(image, "write -P 0x11 0 128k", "write -c -P 0x22 1M 64k");
        // Give the image one more cluster and a refcount of 1 for it: a leak.
        var newCluster = (new FileInfo(image).Length + 65535) / 65536;
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength((newCluster + 1) * 65536);
            stream.Position = 0x20000 + 2 * newCluster;
            stream.Write([0, 1]);
        }
        return image;
    }

    [TestCase("human")]
    [TestCase("json")]
    public void Check_prints_what_qemu_img_check_prints_and_exits_like_it(string output)
    {
        using var temp = new TempDirectory("cli-check");
        var image = LeakyImage(temp);

        var ours = Cli.Run("check", "--output=" + output, image);
        var qemu = Cli.Qemu("check", "--output=" + output, image);

        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(3), ours.Describe);
        if (output == "human")
        {
            Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput));
            Assert.That(ours.StandardError, Does.Contain("QCOW0202"));
        }
        else
        {
            var ourJson = (JsonObject)JsonNode.Parse(ours.StandardOutput)!;
            var qemuJson = (JsonObject)JsonNode.Parse(qemu.StandardOutput)!;
            foreach (var (key, value) in qemuJson)
            {
                Assert.That(ourJson[key]?.ToJsonString(), Is.EqualTo(value?.ToJsonString()), key);
            }
            Assert.That(ourJson.Select(p => p.Key).Where(k => k != "findings"), Is.EquivalentTo(qemuJson.Select(p => p.Key)));
            Assert.That(ourJson["findings"]!.AsArray().Select(f => (string)f!["code"]!), Does.Contain("QCOW0202"));
        }
    }

    [Test]
    public void Check_with_repair_leaks_reports_what_qemu_reports()
    {
        using var temp = new TempDirectory("cli-check-repair");
        var image = LeakyImage(temp);
        var copy = temp.File("copy.qcow2");
        File.Copy(image, copy);

        var ours = Cli.Run("check", "-r", "leaks", image);
        var qemu = Cli.Qemu("check", "-r", "leaks", copy);

        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput));
        Assert.That(Cli.Qemu("check", image).ExitCode, Is.Zero);
    }

    [Test]
    public void Check_untrusted_fails_on_a_backing_file_reference_that_qemu_calls_clean()
    {
        using var temp = new TempDirectory("cli-check-untrusted");
        var image = temp.File("upload.qcow2");
        Qemu.ImgOk("create", "-q", "-u", "-f", "qcow2", "-b", "/etc/hostname", "-F", "raw", image, "64M");

        var ours = Cli.Run("check", "--untrusted", "--output=json", image);

        Assert.That(ours.ExitCode, Is.EqualTo(2), ours.Describe);
        Assert.That(ours.StandardOutput, Does.Contain("QCOW0700"));
    }

    [Test]
    public void Check_with_format_qcow2_of_a_file_that_is_not_qcow2_exits_1_naming_the_field()
    {
        using var temp = new TempDirectory("cli-check-bad");
        var image = temp.File("bad.qcow2");
        File.WriteAllBytes(image, new byte[4096]);

        var ours = Cli.Run("check", "-f", "qcow2", image);

        Assert.That(ours.ExitCode, Is.EqualTo(Cli.Qemu("check", "-f", "qcow2", image).ExitCode).And.EqualTo(1));
        Assert.That(ours.StandardError, Does.StartWith($"qcowkit: error: {image}: magic at offset 0"));
    }
}

/// <summary>qemu-img check follows a backing chain that loops forever; qcowkit check names the loop instead.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class BackingLoopCheckTests
{
    /// <summary>Makes <paramref name="names"/> a chain whose last image names the first as its backing file (qemu-img rebase -u).</summary>
    private static void Loop(TempDirectory temp, params string[] names)
    {
        foreach (var name in names)
        {
            Qemu.CreateQcow2(temp.File(name), "1M");
        }
        for (var i = 0; i < names.Length; i++)
        {
            Qemu.ImgOk("rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", names[(i + 1) % names.Length], temp.File(names[i]));
        }
    }

    [TestCase("self.qcow2")]
    [TestCase("a.qcow2", "b.qcow2")]
    [TestCase("a.qcow2", "b.qcow2", "c.qcow2")]
    public void Check_of_a_backing_loop_exits_1_naming_the_loop_instead_of_hanging(params string[] names)
    {
        using var temp = new TempDirectory("cli-check-loop");
        Loop(temp, names);

        // A process with a timeout: a hang fails the test rather than the run.
        var ours = Cli.RunProcess(temp.Path, "check", names[0]);

        Assert.That(ours.ExitCode, Is.EqualTo(1), ours.Describe);
        Assert.That(ours.StandardError, Does.StartWith($"qcowkit: error: {names[0]}: backing file at offset ")
            .And.EndWith($"the backing chain loops back to '{temp.File(names[0])}'\n"), ours.Describe);
        Assert.That(ours.StandardOutput, Is.Empty);
    }

    [Test]
    public void Check_of_a_backing_loop_agrees_with_convert_and_map()
    {
        using var temp = new TempDirectory("cli-check-loop");
        Loop(temp, "a.qcow2", "b.qcow2");
        var image = temp.File("a.qcow2");

        var check = Cli.Run("check", "--output=json", image);
        var convert = Cli.Run("convert", "-O", "raw", image, temp.File("out.raw"));

        Assert.That(check.ExitCode, Is.EqualTo(convert.ExitCode).And.EqualTo(1), check.Describe);
        Assert.That(check.StandardError, Is.EqualTo(convert.StandardError), check.Describe);
        Assert.That(check.StandardOutput, Is.Empty);
    }
}
