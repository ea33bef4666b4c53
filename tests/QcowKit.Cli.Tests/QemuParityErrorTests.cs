using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// Inputs that are not qcow2 images, or not files at all, side by side with qemu-img 7.2: the same exit
/// code, qemu's wording, and exactly one error line <c>qcowkit: error: FILE: MESSAGE</c>.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class QemuParityErrorTests
{
    private static readonly byte[] NotQcow2Magic = [0x51, 0x46, 0x49, 0xfa, 0, 0, 0, 3];

    /// <summary>Files that qemu-img's probe calls raw.</summary>
    private static string NotQcow2(TempDirectory temp, string kind)
    {
        var path = temp.File(kind + ".img");
        switch (kind)
        {
            case "raw":
                using (var file = File.Create(path))
                {
                    file.SetLength(1 << 20);
                }
                break;
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "one-byte":
                File.WriteAllBytes(path, [0x51]);
                break;
            case "bad-magic":
                File.WriteAllBytes(path, [.. NotQcow2Magic, .. new byte[4088]]);
                break;
            case "magic-only":
                File.WriteAllBytes(path, [0x51, 0x46, 0x49, 0xfb]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
        return path;
    }

    private static void AssertOneErrorLine(ProcessResult result, string file, string message)
    {
        Assert.That(result.StandardError, Is.EqualTo($"qcowkit: error: {file}: {message}\n"), result.Describe);
    }

    [TestCase("raw")]
    [TestCase("empty")]
    [TestCase("one-byte")]
    [TestCase("bad-magic")]
    [TestCase("magic-only")]
    public void Check_of_a_file_probed_as_raw_exits_63_because_raw_has_no_checks(string kind)
    {
        using var temp = new TempDirectory("cli-parity");
        var image = NotQcow2(temp, kind);

        var ours = Cli.Run("check", image);
        var qemu = Cli.Qemu("check", image);

        Assert.That(qemu.StandardError, Does.Contain("This image format does not support checks"));
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(63), ours.Describe);
        AssertOneErrorLine(ours, image, "This image format does not support checks");
        Assert.That(ours.StandardOutput, Is.Empty);
    }

    [TestCase("human")]
    [TestCase("json")]
    public void Check_with_format_raw_exits_63_and_prints_no_report(string output)
    {
        using var temp = new TempDirectory("cli-parity");
        var image = NotQcow2(temp, "raw");

        var ours = Cli.Run("check", "-f", "raw", "--output=" + output, image);
        var qemu = Cli.Qemu("check", "-f", "raw", "--output=" + output, image);

        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(63), ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput).And.Empty);
    }

    [TestCase("raw")]
    [TestCase("empty")]
    [TestCase("bad-magic")]
    public void Check_with_format_qcow2_of_a_raw_file_is_qemus_open_error_exit_1(string kind)
    {
        using var temp = new TempDirectory("cli-parity");
        var image = NotQcow2(temp, kind);

        var ours = Cli.Run("check", "-f", "qcow2", "--output=json", image);
        var qemu = Cli.Qemu("check", "-f", "qcow2", "--output=json", image);

        Assert.That(qemu.StandardError, Does.Contain("Image is not in qcow2 format"));
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(1), ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput).And.Empty);
        Assert.That(ours.StandardError, Does.StartWith($"qcowkit: error: {image}: "));
        Assert.That(ours.StandardError.TrimEnd('\n'), Does.Not.Contain('\n'), ours.Describe);
    }

    [Test]
    public void Snapshot_list_of_a_raw_image_prints_nothing_and_exits_0_like_qemu()
    {
        using var temp = new TempDirectory("cli-parity");
        var image = NotQcow2(temp, "raw");

        var ours = Cli.Run("snapshot", "-l", image);
        var qemu = Cli.Qemu("snapshot", "-l", image);

        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput).And.Empty);
        Assert.That(ours.StandardError, Is.Empty);
    }

    [TestCase("-c", "Could not create snapshot 's1': -95 (Operation not supported)")]
    [TestCase("-a", "Could not apply snapshot 's1': Block driver does not support snapshots")]
    [TestCase("-d", "Could not delete snapshot 's1': snapshot not found")]
    public void Snapshot_changes_on_a_raw_image_are_refused_with_qemus_message(string flag, string message)
    {
        using var temp = new TempDirectory("cli-parity");
        var image = NotQcow2(temp, "raw");
        var before = File.ReadAllBytes(image);

        var ours = Cli.Run("snapshot", flag, "s1", image);
        var qemu = Cli.Qemu("snapshot", flag, "s1", image);

        Assert.That(qemu.StandardError, Does.Contain(message));
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(1), ours.Describe);
        Assert.That(ours.StandardError, Is.EqualTo($"qcowkit: error: {message}\n"));
        Assert.That(File.ReadAllBytes(image), Is.EqualTo(before));
    }

    [TestCase("info")]
    [TestCase("map")]
    [TestCase("check")]
    [TestCase("snapshot", "-l")]
    [TestCase("compare")]
    [TestCase("convert", "-O", "raw")]
    public void A_directory_given_as_the_image_is_not_a_regular_file(string verb, params string[] options)
    {
        using var temp = new TempDirectory("cli-parity");
        var folder = temp.File("folder.d");
        Directory.CreateDirectory(folder);
        var other = temp.File("other.raw");
        File.WriteAllBytes(other, new byte[4096]);
        string[] operands = verb switch
        {
            "compare" => [folder, other],
            "convert" => [folder, temp.File("out.raw")],
            _ => [folder],
        };

        var ours = Cli.Run([verb, .. options, .. operands]);
        var qemu = Cli.Qemu([verb, .. options, .. operands]);

        var message = $"'file' driver requires '{folder}' to be a regular file";
        Assert.That(qemu.StandardError, Does.Contain(message));
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode), ours.Describe);
        AssertOneErrorLine(ours, folder, message);
    }

    [TestCase("raw")]
    [TestCase("qcow2")]
    public void Create_over_a_directory_says_it_is_a_directory(string format)
    {
        using var temp = new TempDirectory("cli-parity");
        var folder = temp.File("folder.d");
        Directory.CreateDirectory(folder);

        var ours = Cli.Run("create", "-q", "-f", format, folder, "1M");
        var qemu = Cli.Qemu("create", "-q", "-f", format, folder, "1M");

        Assert.That(qemu.StandardError, Does.Contain($"Could not create '{folder}': Is a directory"));
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(1), ours.Describe);
        AssertOneErrorLine(ours, folder, $"Could not create '{folder}': Is a directory");
    }

    [TestCase("create", "-q", "-f", "qcow2")]
    [TestCase("convert", "-O", "raw")]
    [TestCase("convert", "-O", "qcow2")]
    public void An_output_in_a_missing_folder_names_the_file_without_dotnet_text(string verb, params string[] options)
    {
        using var temp = new TempDirectory("cli-parity");
        var source = temp.File("source.raw");
        File.WriteAllBytes(source, new byte[65536]);
        var target = temp.File("no-such-folder/out.img");
        string[] operands = verb == "create" ? [target, "1M"] : [source, target];

        var ours = Cli.Run([verb, .. options, .. operands]);
        var qemu = Cli.Qemu([verb, .. options, .. operands]);

        Assert.That(qemu.StandardError, Does.Contain($"Could not create '{target}': No such file or directory"));
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(1), ours.Describe);
        AssertOneErrorLine(ours, target, $"Could not create '{target}': No such file or directory");
    }

    [Test]
    public void A_raw_image_larger_than_the_file_system_allows_is_qemus_resize_error_not_dotnet_text()
    {
        using var temp = new TempDirectory("cli-parity");
        var image = temp.File("huge.raw");

        var ours = Cli.Run("create", "-q", "-f", "raw", image, "9223372036854775807");
        var qemu = Cli.Qemu("create", "-q", "-f", "raw", image, "9223372036854775807");

        Assert.That(qemu.StandardError, Does.Contain("Could not resize file"));
        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(1), ours.Describe);
        AssertOneErrorLine(ours, image, "Could not resize file: File too large");
    }

    [Test]
    public void A_missing_backing_file_at_create_prints_qemus_two_lines()
    {
        using var temp = new TempDirectory("cli-parity");
        var image = temp.File("top.qcow2");
        var backing = temp.File("gone.qcow2");

        var ours = Cli.Run("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", image);
        var qemu = Cli.Qemu("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", image);

        Assert.That(ours.ExitCode, Is.EqualTo(qemu.ExitCode).And.EqualTo(1), ours.Describe);
        Assert.That(ours.StandardError, Is.EqualTo(qemu.StandardError.Replace("qemu-img: ", "qcowkit: error: ", StringComparison.Ordinal)));
    }
}

/// <summary>qemu-img info reads an image's own metadata only, so an external data file bit without a file name does not stop it.</summary>
[TestFixture]
public sealed class UnnamedDataFileInfoTests
{
    private const uint DataFileNameExtension = 0x44415441;

    [TestCase("json")]
    [TestCase("human")]
    public void Info_of_an_image_with_the_data_file_bit_but_no_name_prints_what_qemu_prints(string output)
    {
        using var temp = new TempDirectory("cli-unnamed-data");
        var image = temp.File("split.qcow2");
        Qemu.CreateQcow2(image, "1M", $"data_file={temp.File("split.data")}");
        // Rename the data file name extension to a type qemu ignores: the bit stays, the name is gone.
        var bytes = File.ReadAllBytes(image);
        var at = bytes.AsSpan(0, 65536).IndexOf("DATA"u8);
        Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at)), Is.EqualTo(DataFileNameExtension));
        bytes[at] = 0x12;
        File.WriteAllBytes(image, bytes);

        var ours = Cli.Run("info", "--output=" + output, image);
        var qemu = Cli.Qemu("info", "--output=" + output, image);

        Assert.That(qemu.ExitCode, Is.Zero, qemu.Describe);
        Assert.That(ours.ExitCode, Is.Zero, ours.Describe);
        Assert.That(ours.StandardOutput, Is.EqualTo(qemu.StandardOutput));
        Assert.That(Cli.Run("check", image).ExitCode, Is.EqualTo(Cli.Qemu("check", image).ExitCode).And.EqualTo(1));
    }

    [TestCase("-r", "foo")]
    [TestCase("-r", "LEAKS")]
    [TestCase("-f", "foo")]
    [TestCase("-U", "-r", "leaks")]
    [TestCase("-U", "-r", "all")]
    public void A_check_argument_qemu_img_refuses_is_refused_with_its_exit_code_and_words(params string[] arguments)
    {
        using var temp = new TempDirectory("cli-parity");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "1M");
        var before = Hashing.Sha256OfFile(image);

        var ours = Cli.Run(["check", .. arguments, image]);
        var theirs = Cli.Qemu(["check", .. arguments, image]);

        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode), () => $"{ours.Describe()}\n{theirs.Describe()}");
        // qemu's first line after its "qemu-img: [Could not open 'FILE': ]" prefix.
        var message = theirs.StandardError.Split('\n')[0].Split(": ", 2)[1].Replace($"Could not open '{image}': ", "", StringComparison.Ordinal);
        Assert.That(ours.StandardError.Split('\n')[0], Does.EndWith(message), ours.Describe);
        Assert.That(Hashing.Sha256OfFile(image), Is.EqualTo(before));
    }
}
