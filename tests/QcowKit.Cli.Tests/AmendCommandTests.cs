using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>qcowkit amend against qemu-img amend: same silence on success, same refusals and exit codes.</summary>
[TestFixture]
public sealed class AmendCommandTests
{
    [TestCase("compat=0.10", "compat=1.1")]
    [TestCase("", "compat=0.10")]
    [TestCase("", "refcount_bits=4,lazy_refcounts=on")]
    public void Amend_succeeds_silently_like_qemu_and_leaves_a_clean_image(string create, string amend)
    {
        using var temp = new TempDirectory("cli-amend");
        var ours = temp.File("ours.qcow2");
        var theirs = temp.File("theirs.qcow2");
        Qemu.CreateQcow2(ours, "2M", create);
        Qemu.Io(ours, "write -P 0x31 0 300k", "write -z 1M 64k");
        File.Copy(ours, theirs);
        var result = Cli.Run("amend", "-f", "qcow2", "-o", amend, ours);
        var qemu = Cli.Qemu("amend", "-f", "qcow2", "-o", amend, theirs);
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(qemu.ExitCode, Is.Zero, qemu.Describe);
        Assert.That(result.StandardOutput, Is.EqualTo(qemu.StandardOutput));
        Assert.That(result.StandardError, Is.Empty);
        var (exitCode, _, raw) = Qemu.Check(ours);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(Qemu.Compare(ours, theirs), Is.Zero);
        Assert.That(Qemu.Info(ours)["format-specific"]!["data"]!.ToJsonString(), Is.EqualTo(Qemu.Info(theirs)["format-specific"]!["data"]!.ToJsonString()));
    }

    [TestCase("cluster_size=4096")]
    [TestCase("compat=2.0")]
    [TestCase("backing_file=other.qcow2")]
    [TestCase("refcount_bits=8,compat=0.10")]
    [TestCase("data_file_raw=on")]
    public void Amend_refuses_with_qemus_message_and_exit_code(string amend)
    {
        using var temp = new TempDirectory("cli-amend");
        var path = temp.File("x.qcow2");
        Qemu.CreateQcow2(path, "1M");
        var before = Hashing.Sha256OfFile(path);
        var ours = Cli.Run("amend", "-f", "qcow2", "-o", amend, path);
        var theirs = Cli.Qemu("amend", "-f", "qcow2", "-o", amend, path);
        Assert.That(theirs.ExitCode, Is.EqualTo(1), theirs.Describe);
        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode));
        // qemu's lines as qemu prints them: a two-line message stays two lines.
        var qemuMessage = theirs.StandardError.Trim().Replace("qemu-img: ", "", StringComparison.Ordinal);
        Assert.That(ours.StandardError.Trim(), Is.EqualTo($"qcowkit: error: {qemuMessage}"));
        Assert.That(Hashing.Sha256OfFile(path), Is.EqualTo(before));
    }

    [Test]
    public void Amend_without_options_fails_like_qemu()
    {
        using var temp = new TempDirectory("cli-amend");
        var path = temp.File("x.qcow2");
        Qemu.CreateQcow2(path, "1M");
        var ours = Cli.Run("amend", path);
        Assert.That(ours.ExitCode, Is.EqualTo(Cli.Qemu("amend", path).ExitCode));
        Assert.That(ours.StandardError.Trim(), Is.EqualTo("qcowkit: error: Must specify options (-o)"));
    }

    [Test]
    public void Amend_of_a_raw_image_is_refused_like_qemu()
    {
        using var temp = new TempDirectory("cli-amend");
        var path = temp.File("x.raw");
        File.WriteAllBytes(path, new byte[65536]);
        var ours = Cli.Run("amend", "-f", "raw", "-o", "size=1M", path);
        var theirs = Cli.Qemu("amend", "-f", "raw", "-o", "size=1M", path);
        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode));
        Assert.That(ours.StandardError.Trim(), Is.EqualTo("qcowkit: error: Format driver 'raw' does not support option amendment"));
    }

    [Test]
    public void Amend_of_a_missing_image_fails_with_exit_code_1()
    {
        using var temp = new TempDirectory("cli-amend");
        var path = temp.File("missing.qcow2");
        var ours = Cli.Run("amend", "-f", "qcow2", "-o", "lazy_refcounts=on", path);
        Assert.That(ours.ExitCode, Is.EqualTo(Cli.Qemu("amend", "-f", "qcow2", "-o", "lazy_refcounts=on", path).ExitCode));
        Assert.That(ours.StandardError.Trim(), Is.EqualTo($"qcowkit: error: {path}: No such file or directory"));
    }

    [Test]
    public void Amend_with_progress_ends_at_100_percent()
    {
        using var temp = new TempDirectory("cli-amend");
        var path = temp.File("p.qcow2");
        Qemu.CreateQcow2(path, "1M");
        var result = Cli.Run("amend", "-p", "-o", "refcount_bits=8", path);
        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(result.StandardError, Does.EndWith("(100.00/100%)\r\n"));
    }

    [Test]
    public void Amend_help_lists_qemus_amend_options()
    {
        var ours = Cli.Run("amend", "-f", "qcow2", "-o", "help", "unused.qcow2");
        var theirs = Cli.Qemu("amend", "-f", "qcow2", "-o", "help", "unused.qcow2");
        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode));
        var qemuLines = theirs.StandardOutput.Split('\n').Where(line => !line.Contains("encrypt.", StringComparison.Ordinal));
        Assert.That(ours.StandardOutput, Is.EqualTo(string.Join('\n', qemuLines)));
    }

    [Test]
    public void Amend_is_listed_among_the_verbs()
    {
        var help = Cli.Run("--help");
        Assert.That(help.StandardOutput, Does.Contain("amend"));
    }
}
