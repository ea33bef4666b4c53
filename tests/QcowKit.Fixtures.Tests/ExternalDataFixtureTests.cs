using System.Text.Json.Nodes;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

/// <summary>
/// <see cref="QcowFixtures.Get(FixtureDefinition)"/>'s external-data fixtures open from any working directory (issue 18):
/// qemu 7.2 resolves a relative data file name against the current directory, so the cached fixtures name it by its full path.
/// </summary>
public class ExternalDataFixtureTests
{
    private static readonly string[] Names = ["clean-external-data", "clean-external-data-raw"];

    [TestCaseSource(nameof(Names))]
    public void Qemu_img_and_the_engine_open_a_cached_external_data_fixture_from_another_folder(string name)
    {
        var built = QcowFixtures.Get(name);
        var dataFile = built.Files.Single(f => f.Role == FixtureFileRole.DataFile).Path;
        using var elsewhere = new TempDirectory("fixture-cwd");
        Assert.That(elsewhere.Path, Is.Not.EqualTo(built.Directory));

        var info = ProcessRunner.Run(Qemu.ImgPath, ["info", "-U", "--output=json", "-f", "qcow2", built.ImagePath], elsewhere.Path);
        Assert.That(info.ExitCode, Is.Zero, () => $"qemu-img info from {elsewhere.Path}: {info.Describe()}");
        var dataFileName = JsonNode.Parse(info.StandardOutput)!["format-specific"]!["data"]!["data-file"]!.GetValue<string>();
        Assert.That(dataFileName, Is.EqualTo(dataFile), "the header names the data file by its full path");

        var check = ProcessRunner.Run(Qemu.ImgPath, ["check", "-f", "qcow2", built.ImagePath], elsewhere.Path);
        Assert.That(check.ExitCode, Is.EqualTo(built.Expected.CheckExitCode), () => $"qemu-img check from {elsewhere.Path}: {check.Describe()}");

        var raw = Path.Combine(elsewhere.Path, "guest.raw");
        var convert = ProcessRunner.Run(Qemu.ImgPath, ["convert", "-U", "-f", "qcow2", "-O", "raw", built.ImagePath, raw], elsewhere.Path);
        Assert.That(convert.ExitCode, Is.Zero, () => $"qemu-img convert from {elsewhere.Path}: {convert.Describe()}");
        Assert.That(Hashing.Sha256OfFile(raw), Is.EqualTo(built.Expected.GuestSha256), "qemu reads the guest from the data file");

        // The engine resolves the name as qemu does; this process's working directory is not the fixture's folder either.
        Assert.That(Path.GetFullPath(Environment.CurrentDirectory), Is.Not.EqualTo(built.Directory));
        using var image = QcowImage.Open(built.ImagePath);
        Assert.That(image.DataFilePath, Is.EqualTo(dataFile));
        using var guest = image.OpenStream();
        Assert.That(Hashing.Sha256OfStream(guest), Is.EqualTo(built.Expected.GuestSha256));
    }

    [Test]
    public void A_built_fixture_keeps_a_relative_data_file_name_so_the_corpus_stays_byte_identical()
    {
        using var temp = new TempDirectory("fixture-relative-data");
        var built = QcowFixtures.Find("clean-external-data").Build(temp.Path);
        var info = ProcessRunner.Run(Qemu.ImgPath, ["info", "-U", "--output=json", "-f", "qcow2", Path.GetFileName(built.ImagePath)], built.Directory);
        Assert.That(info.ExitCode, Is.Zero, () => info.Describe());
        Assert.That(JsonNode.Parse(info.StandardOutput)!["format-specific"]!["data"]!["data-file"]!.GetValue<string>(),
            Is.EqualTo(Path.GetFileName(built.Files.Single(f => f.Role == FixtureFileRole.DataFile).Path)));
    }
}
