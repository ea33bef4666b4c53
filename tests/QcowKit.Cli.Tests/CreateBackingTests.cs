using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// <c>qcowkit create -b BACKING [-u]</c> side by side with <c>qemu-img create</c> 7.2: the backing file is opened unless
/// <c>-u</c>, a refusal leaves no file (and an existing destination as it was), and the headers written agree.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class CreateBackingTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("a missing backing file with a size", "-b", "missing.qcow2", "-F", "qcow2", "top.qcow2", "1M");
        yield return Case("a missing backing file without a size", "-b", "missing.qcow2", "-F", "qcow2", "top.qcow2");
        yield return Case("-u with a missing backing file", "-u", "-b", "missing.qcow2", "-F", "qcow2", "top.qcow2", "1M");
        yield return Case("-u without a size", "-u", "-b", "missing.qcow2", "-F", "qcow2", "top.qcow2");
        yield return Case("-u with an existing backing file", "-u", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2", "3M");
        yield return Case("-u without a backing format", "-u", "-b", "missing.qcow2", "top.qcow2", "1M");
        yield return Case("-u as raw backing", "-u", "-b", "base.qcow2", "-F", "raw", "top.qcow2", "1M");
        yield return Case("a backing file that is not qcow2", "-b", "plain.raw", "-F", "qcow2", "top.qcow2", "1M");
        yield return Case("an existing backing file", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");

        static TestCaseData Case(string name, params string[] arguments) => new TestCaseData((object)arguments).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Cases))]
    public void Create_with_a_backing_file_agrees_with_qemu_img_create(string[] arguments)
    {
        using var temp = new TempDirectory("create-backing");
        var theirs = Setup(temp.File("qemu"));
        var ours = Setup(temp.File("qcowkit"));

        var qemu = ProcessRunner.Run(Qemu.ImgPath, ["create", "-q", "-f", "qcow2", .. arguments], theirs);
        var qcowkit = Cli.RunProcess(ours, ["create", "-q", "-f", "qcow2", .. arguments]);

        Assert.That(qcowkit.ExitCode, Is.EqualTo(qemu.ExitCode), () => $"qemu-img: {qemu.Describe()}\nqcowkit: {qcowkit.Describe()}");
        var ourImage = Path.Combine(ours, "top.qcow2");
        var qemuImage = Path.Combine(theirs, "top.qcow2");
        if (qemu.ExitCode != 0)
        {
            var first = qemu.StandardError.Split('\n')[0];
            Assert.That(qcowkit.StandardError.Split('\n')[0], Does.EndWith(first[(first.LastIndexOf(": ", StringComparison.Ordinal) + 2)..]), qcowkit.Describe);
            Assert.That(File.Exists(ourImage), Is.False, "a refused create leaves no file");
            return;
        }
        var ourInfo = Qemu.Img("info", "--output=json", ourImage);
        var qemuInfo = Qemu.Img("info", "--output=json", qemuImage);
        foreach (var key in new[] { "virtual-size", "backing-filename", "backing-filename-format" })
        {
            Assert.That(Field(ourInfo.StandardOutput, key), Is.EqualTo(Field(qemuInfo.StandardOutput, key)), key);
        }
    }

    [Test]
    public void A_create_refused_for_its_backing_file_leaves_an_existing_destination_as_it_was()
    {
        using var temp = new TempDirectory("create-backing");
        var folder = Setup(temp.File("qcowkit"));
        var destination = Path.Combine(folder, "top.qcow2");
        Qemu.CreateQcow2(destination, "2M");
        Qemu.Io(destination, "write -P 5 0 64k");
        var before = Hashing.Sha256OfFile(destination);

        var refused = Cli.RunProcess(folder, "create", "-q", "-f", "qcow2", "-b", "missing.qcow2", "-F", "qcow2", "top.qcow2", "1M");

        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.Describe);
        Assert.That(Hashing.Sha256OfFile(destination), Is.EqualTo(before));
    }

    private static string Setup(string folder)
    {
        Directory.CreateDirectory(folder);
        Qemu.CreateQcow2(Path.Combine(folder, "base.qcow2"), "2M");
        File.WriteAllBytes(Path.Combine(folder, "plain.raw"), new byte[65536]);
        return folder;
    }

    private static string? Field(string json, string key) =>
        System.Text.Json.Nodes.JsonNode.Parse(json)![key]?.ToJsonString();
}
