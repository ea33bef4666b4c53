using System.Text.RegularExpressions;
using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>Help, usage errors and the shape of error text, as a first-class tool and as qemu-img prints them.</summary>
public partial class UsageTests
{
    private static readonly string[] Verbs =
        ["info", "measure", "check", "create", "convert", "resize", "snapshot", "amend", "rebase", "commit", "compare", "map", "seed", "fixture"];

    [Test]
    public void Help_names_the_program_qcowkit_not_the_assembly()
    {
        using var temp = new TempDirectory("cli-usage");

        // As a process: System.CommandLine's RootCommand would take the executable's name, QcowKit.Cli.
        var result = Cli.RunProcess(temp.Path, "--help");

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(result.StandardOutput, Does.Contain("Usage:\n  qcowkit [command] [options]"), result.Describe);
        Assert.That(result.StandardOutput, Does.Not.Contain("QcowKit.Cli"));
        Assert.That(Cli.Run("info", "--help").StandardOutput, Does.Contain("  qcowkit info <IMAGE> [options]"));
    }

    [TestCaseSource(nameof(Verbs))]
    public void Help_metavariables_are_upper_case_names_or_lower_case_choices(string verb)
    {
        var help = Cli.Run(verb, "--help");

        Assert.That(help.ExitCode, Is.Zero, help.Describe);
        var options = help.StandardOutput[help.StandardOutput.IndexOf("Options:", StringComparison.Ordinal)..];
        foreach (Match metavariable in Metavariable().Matches(options))
        {
            Assert.That(metavariable.Groups[1].Value, Does.Match("^([A-Z][A-Z0-9_]*|[a-z0-9]+(\\|[a-z0-9]+)+)$"), $"{verb}: {metavariable.Value}");
        }
        foreach (Match shown in DefaultValue().Matches(options))
        {
            Assert.That(shown.Groups[1].Value, Is.EqualTo(shown.Groups[1].Value.ToLowerInvariant()), $"{verb}: {shown.Value} is not what users type");
        }
    }

    [Test]
    public void Fixture_output_folder_and_map_offsets_have_metavariables()
    {
        Assert.That(Cli.Run("fixture", "--help").StandardOutput, Does.Contain("-o, --output-dir <DIR>").And.Contain("--seed <N>"));
        Assert.That(Cli.Run("map", "--help").StandardOutput, Does.Contain("--start-offset <OFFSET>").And.Contain("--max-length <LENGTH>"));
        Assert.That(Cli.Run("info", "--help").StandardOutput, Does.Contain("--output <human|json>").And.Not.Contain("[default: Human]"));
    }

    [Test]
    public void An_unknown_option_prints_one_error_and_where_to_find_help_with_exit_code_1_like_qemu_img()
    {
        var qemu = Cli.Qemu("info", "--bogus");
        var result = Cli.Run("info", "--bogus", "x.qcow2");

        Assert.That(qemu.ExitCode, Is.EqualTo(1));
        Assert.That(qemu.StandardError, Is.EqualTo("qemu-img: unrecognized option '--bogus'\nTry 'qemu-img --help' for more information\n"));
        Assert.That(result.ExitCode, Is.EqualTo(qemu.ExitCode));
        Assert.That(result.StandardError, Is.EqualTo("qcowkit: error: unrecognized option '--bogus'\nTry 'qcowkit --help' for more information\n"));
        Assert.That(result.StandardOutput, Is.Empty);
        // The option alone, where System.CommandLine took it for the image name.
        Assert.That(Cli.Run("info", "--bogus").StandardError, Is.EqualTo("qcowkit: error: unrecognized option '--bogus'\nTry 'qcowkit --help' for more information\n"));
    }

    [TestCase("info")]
    [TestCase("frobnicate")]
    [TestCase("info", "--output=yaml", "x.qcow2")]
    [TestCase("create", "-f", "qcow2")]
    public void A_usage_error_does_not_print_the_help_text(params string[] args)
    {
        var result = Cli.Run(args);

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.StandardError, Does.StartWith("qcowkit: error: ").And.EndWith("\nTry 'qcowkit --help' for more information\n"));
        Assert.That(result.StandardError, Does.Not.Contain("Usage:").And.Not.Contain("Options:"));
        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public void A_relative_size_and_names_after_a_double_dash_are_not_taken_for_options()
    {
        using var temp = new TempDirectory("cli-usage");
        var image = temp.File("-image.qcow2");
        Qemu.CreateQcow2(image, "2M");

        Assert.That(Cli.RunProcess(temp.Path, "resize", "--shrink", "--", "-image.qcow2", "-1M").ExitCode, Is.Zero);
        Assert.That(Qemu.Info(image)["virtual-size"]!.GetValue<long>(), Is.EqualTo(1 << 20));
        // After --, a missing image is a missing file, not an option.
        var missing = Cli.RunProcess(temp.Path, "info", "--", "-missing.qcow2");
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.StandardError, Is.EqualTo("qcowkit: error: -missing.qcow2: No such file or directory\n"), missing.Describe);
    }

    [TestCase("cluster_size=4096", "Invalid parameter 'cluster_size'", "This option is only supported for image creation")]
    [TestCase("backing_file=other.qcow2", "Cannot amend the backing file", "You can use 'qemu-img rebase' instead.")]
    public void A_two_line_qemu_message_stays_two_lines(string option, string first, string second)
    {
        using var temp = new TempDirectory("cli-usage");
        var image = temp.File("a.qcow2");
        Qemu.CreateQcow2(image, "1M");

        var qemu = Cli.Qemu("amend", "-o", option, image);
        var result = Cli.Run("amend", "-o", option, image);

        Assert.That(qemu.StandardError, Is.EqualTo($"qemu-img: {first}\n{second}\n"));
        Assert.That(result.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(1));
        Assert.That(result.StandardError, Is.EqualTo($"qcowkit: error: {first}\n{second}\n"));
    }

    [Test]
    public void Redirected_output_has_no_escape_codes_even_with_a_colour_terminal_type()
    {
        using var temp = new TempDirectory("cli-usage");
        var image = temp.File("a.qcow2");
        Qemu.CreateQcow2(image, "1M");
        QcowByteEdits.MakeLeak(image);
        var environment = new Dictionary<string, string?> { ["TERM"] = "xterm-256color", ["COLORTERM"] = "truecolor", ["NO_COLOR"] = null };
        string[][] runs =
        [
            ["--help"], ["info", "--help"], ["info", "--bogus"], ["frobnicate"], ["info", "a.qcow2"], ["check", "a.qcow2"],
            ["check", "--output=json", "a.qcow2"], ["map", "a.qcow2"], ["info", "missing.qcow2"], ["convert", "-p", "-O", "qcow2", "a.qcow2", "b.qcow2"],
        ];
        foreach (var noColor in new string?[] { null, "1" })
        {
            environment["NO_COLOR"] = noColor;
            foreach (var args in runs)
            {
                var dll = Path.Combine(AppContext.BaseDirectory, "QcowKit.Cli.dll");
                var result = ProcessRunner.Run("dotnet", [dll, .. args], temp.Path, TimeSpan.FromMinutes(2), environment);
                Assert.That(result.StandardOutput + result.StandardError, Does.Not.Contain('\u001b'), $"{string.Join(' ', args)}: {result.Describe()}");
                Assert.That(result.StandardOutput + result.StandardError, Is.Not.Empty, string.Join(' ', args));
            }
        }
    }

    [TestCase("inf", 3, "info")]
    [TestCase("check --outp", 12, "--output")]
    [TestCase("res", 3, "resize")]
    public void Shell_completion_answers_the_suggest_directive_with_the_matching_names(string line, int position, string expected)
    {
        var result = Cli.Run($"[suggest:{position}]", line);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Is.EqualTo(new[] { expected }));
    }

    [GeneratedRegex(@"<([^>]+)>")]
    private static partial Regex Metavariable();

    [GeneratedRegex(@"\[default: ([^\]]+)\]")]
    private static partial Regex DefaultValue();
}
