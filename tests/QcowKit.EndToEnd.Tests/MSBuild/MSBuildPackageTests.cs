using System.IO.Compression;
using System.Xml.Linq;
using QcowKit.TestSupport;

namespace QcowKit.EndToEnd.Tests.MSBuild;

/// <summary>
/// The package as a user gets it: packed once to a local feed, referenced by sample projects,
/// built with a real `dotnet build`.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MSBuildPackageTests
{
    private DotNetSandbox? _sandbox;

    private DotNetSandbox Sandbox => _sandbox ?? throw new InvalidOperationException("OneTimeSetUp did not run");

    [OneTimeSetUp]
    public void PackOnce()
    {
        _sandbox = new DotNetSandbox();
        _sandbox.Pack();
    }

    [OneTimeTearDown]
    public void RemoveSandbox() => _sandbox?.Dispose();

    [Test]
    public void Package_carries_the_tasks_with_all_dependencies_and_no_lib_assets()
    {
        using var package = ZipFile.OpenRead(Directory.GetFiles(Sandbox.Feed, "*.nupkg").Single());
        var entries = package.Entries.Select(e => e.FullName).ToList();
        Assert.That(entries, Is.SupersetOf(new[]
        {
            "build/QcowKit.MSBuild.props", "build/QcowKit.MSBuild.targets",
            "buildTransitive/QcowKit.MSBuild.props", "buildTransitive/QcowKit.MSBuild.targets",
            "tasks/net10.0/QcowKit.Tasks.dll", "tasks/net10.0/QcowKit.Tasks.deps.json",
            "tasks/net10.0/QcowKit.dll", "tasks/net10.0/QcowKit.Fixtures.dll",
            "tasks/net10.0/ZstdSharp.dll", "tasks/net10.0/Bogus.dll",
        }));
        Assert.That(entries.Where(e => e.StartsWith("lib/", StringComparison.Ordinal) || e.StartsWith("ref/", StringComparison.Ordinal)), Is.Empty);
        Assert.That(entries.Where(e => e.Contains("Microsoft.Build", StringComparison.Ordinal)), Is.Empty, "MSBuild's own assemblies must come from the running MSBuild");

        using var nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Assert.That(metadata.Elements().Single(e => e.Name.LocalName == "developmentDependency").Value, Is.EqualTo("true"));
        Assert.That(metadata.Elements().Where(e => e.Name.LocalName == "dependencies"), Is.Empty);
    }

    [Test]
    public void Packing_without_building_as_the_build_pipeline_does_gives_the_same_package()
    {
        // build.cs packs the solution with NoBuild after its Build step; the task package's dependency
        // collection must then not try to build the referenced projects (NETSDK1085).
        var project = Path.Combine(RepoPaths.Root, "tasks", "QcowKit.Tasks", "QcowKit.Tasks.csproj");
        using var output = new TempDirectory("pack-no-build");

        var result = Sandbox.DotNet(RepoPaths.Root, "pack", project, "-c", "Debug", "--no-build", "--no-restore", "-o", output.Path, "-nodeReuse:false");

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        static List<string> Entries(string folder)
        {
            using var package = ZipFile.OpenRead(Directory.GetFiles(folder, "QcowKit.MSBuild.*.nupkg").Single());
            return package.Entries.Select(e => e.FullName).Where(name => !name.StartsWith("package/services/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        }
        Assert.That(Entries(output.Path), Is.EqualTo(Entries(Sandbox.Feed)));
    }

    private const string ValidateImagesBody = """
          <ItemGroup>
            <QcowImage Include="images/*.qcow2" />
          </ItemGroup>
        """;

    private const string InfoTargetBody = """
          <Target Name="DescribeImage" AfterTargets="Build">
            <QcowInfo Image="images/disk.qcow2">
              <Output TaskParameter="VirtualSize" PropertyName="DiskVirtualSize" />
              <Output TaskParameter="ClusterSize" PropertyName="DiskClusterSize" />
              <Output TaskParameter="Compat" PropertyName="DiskCompat" />
              <Output TaskParameter="Dirty" PropertyName="DiskDirty" />
            </QcowInfo>
            <Message Importance="high" Text="image: size=$(DiskVirtualSize) cluster=$(DiskClusterSize) compat=$(DiskCompat) dirty=$(DiskDirty)" />
          </Target>
        """;

    private static string MakeImage(string folder, string name, Action<string>? edit = null)
    {
        var images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
        var path = Path.Combine(images, name);
        Qemu.CreateQcow2(path, "4M");
        Qemu.Io(path, "write -P 0x5a 0 128k");
        edit?.Invoke(path);
        return path;
    }

    [Test]
    public void Clean_image_passes_a_leaking_one_warns_info_reaches_a_later_message_the_second_build_skips_validation_and_clean_removes_the_stamp()
    {
        var project = Sandbox.WriteProject("ValidImages", ValidateImagesBody + InfoTargetBody);
        MakeImage(project, "disk.qcow2");
        MakeImage(project, "leaky.qcow2", QcowByteEdits.MakeLeak);

        var first = Sandbox.Build(project);
        Assert.That(first.ExitCode, Is.Zero, first.Describe);
        Assert.That(first.StandardOutput, Does.Match(@"leaky\.qcow2 : warning QCOW0202: "), first.Describe);
        Assert.That(first.StandardOutput, Does.Not.Contain("error QCOW"), first.Describe);
        Assert.That(first.StandardOutput, Does.Not.Match(@"disk\.qcow2 : (error|warning)"), first.Describe);
        Assert.That(first.StandardOutput, Does.Contain("image: size=4194304 cluster=65536 compat=1.1 dirty=False"), first.Describe);
        var stamps = Directory.GetFiles(Path.Combine(project, "obj"), "*.qcowvalidate.stamp", SearchOption.AllDirectories);
        Assert.That(stamps, Has.Length.EqualTo(1), first.Describe);

        var second = Sandbox.Build(project);
        Assert.That(second.ExitCode, Is.Zero, second.Describe);
        Assert.That(second.StandardOutput, Does.Contain("Skipping target \"QcowValidateImages\""), second.Describe);

        var clean = Sandbox.Clean(project);
        Assert.That(clean.ExitCode, Is.Zero, clean.Describe);
        Assert.That(File.Exists(stamps[0]), Is.False, "dotnet clean left the validation stamp behind");
    }

    [Test]
    public void Corrupt_image_fails_the_build_with_a_code_naming_the_image_unless_validation_is_skipped()
    {
        var project = Sandbox.WriteProject("CorruptImage", ValidateImagesBody);
        MakeImage(project, "good.qcow2");
        MakeImage(project, "broken.qcow2", QcowByteEdits.MakeRefcountZero);

        var build = Sandbox.Build(project);
        Assert.That(build.ExitCode, Is.Not.Zero, build.Describe);
        Assert.That(build.StandardOutput, Does.Match(@"broken\.qcow2 : error QCOW\d{4}: "), build.Describe);
        Assert.That(build.StandardOutput, Does.Not.Match(@"good\.qcow2 : (error|warning) QCOW"), build.Describe);

        var skipped = Sandbox.Build(project, "-p:QcowSkipValidation=true");
        Assert.That(skipped.ExitCode, Is.Zero, skipped.Describe);
        Assert.That(skipped.StandardOutput, Does.Not.Contain("error QCOW"), skipped.Describe);
    }

    [Test]
    public void Created_and_seeded_image_is_clean_for_qemu_its_info_reaches_a_later_target_the_second_build_skips_and_clean_removes_it()
    {
        var project = Sandbox.WriteProject("CreateImage", """
              <ItemGroup>
                <DiskContent Include="content/**" />
              </ItemGroup>
              <Target Name="MakeDisk" BeforeTargets="BeforeBuild" Inputs="$(MSBuildProjectFullPath);@(DiskContent)" Outputs="$(IntermediateOutputPath)disk.qcow2">
                <QcowCreate Image="$(IntermediateOutputPath)disk.qcow2" Size="32M" ClusterSize="65536">
                  <Output TaskParameter="Image" ItemName="FileWrites" />
                </QcowCreate>
                <QcowSeed Image="$(IntermediateOutputPath)disk.qcow2" UseExisting="true" SourceDirectory="content" Label="DATA" Reproducible="true" />
              </Target>
              <Target Name="ShowDisk" AfterTargets="MakeDisk">
                <QcowInfo Image="$(IntermediateOutputPath)disk.qcow2">
                  <Output TaskParameter="VirtualSize" PropertyName="DiskVirtualSize" />
                  <Output TaskParameter="ClusterSize" PropertyName="DiskClusterSize" />
                  <Output TaskParameter="Compat" PropertyName="DiskCompat" />
                </QcowInfo>
                <Message Importance="high" Text="disk: size=$(DiskVirtualSize) cluster=$(DiskClusterSize) compat=$(DiskCompat)" />
              </Target>
            """);
        var content = Directory.CreateDirectory(Path.Combine(project, "content")).FullName;
        File.WriteAllText(Path.Combine(content, "readme.txt"), "seeded by dotnet build\n");

        var first = Sandbox.Build(project);
        Assert.That(first.ExitCode, Is.Zero, first.Describe);
        Assert.That(first.StandardOutput, Does.Contain("disk: size=33554432 cluster=65536 compat=1.1"), first.Describe);
        var disk = Directory.GetFiles(Path.Combine(project, "obj"), "disk.qcow2", SearchOption.AllDirectories).Single();
        var check = Qemu.Check(disk);
        Assert.That(check.ExitCode, Is.Zero, check.Raw.Describe);
        var raw = disk + ".raw";
        Qemu.ImgOk("convert", "-O", "raw", disk, raw);
        var type = ProcessRunner.Run("mtype", ["-i", raw, "::/readme.txt"]);
        File.Delete(raw);
        Assert.That(type.StandardOutput, Is.EqualTo("seeded by dotnet build\n"), type.Describe);

        var second = Sandbox.Build(project);
        Assert.That(second.ExitCode, Is.Zero, second.Describe);
        Assert.That(second.StandardOutput, Does.Contain("Skipping target \"MakeDisk\""), second.Describe);
        Assert.That(File.Exists(disk), Is.True, "the second build's IncrementalClean deleted the image it skipped making");

        var clean = Sandbox.Clean(project);
        Assert.That(clean.ExitCode, Is.Zero, clean.Describe);
        Assert.That(File.Exists(disk), Is.False, "dotnet clean left the created image behind");
    }

    [Test]
    public void Converted_image_is_compressed_clean_for_qemu_and_holds_the_source_bytes()
    {
        var project = Sandbox.WriteProject("ConvertImage", """
              <Target Name="PackDisk" BeforeTargets="BeforeBuild" Inputs="images/source.raw" Outputs="$(IntermediateOutputPath)disk.qcow2">
                <QcowConvert Source="images/source.raw" SourceFormat="raw" Destination="$(IntermediateOutputPath)disk.qcow2" Compress="true" Options="compression_type=zstd,cluster_size=65536" />
                <QcowValidate Image="$(IntermediateOutputPath)disk.qcow2" />
              </Target>
            """);
        var images = Directory.CreateDirectory(Path.Combine(project, "images")).FullName;
        var source = Path.Combine(images, "source.raw");
        Qemu.ImgOk("create", "-q", "-f", "raw", source, "8M");
        Qemu.IoFormat(source, "raw", "write -P 0x11 0 1M", "write -P 0x22 3M 64k", "write -P 0x33 7M 4k");

        var first = Sandbox.Build(project);
        Assert.That(first.ExitCode, Is.Zero, first.Describe);
        var disk = Directory.GetFiles(Path.Combine(project, "obj"), "disk.qcow2", SearchOption.AllDirectories).Single();
        var check = Qemu.Check(disk);
        Assert.That(check.ExitCode, Is.Zero, check.Raw.Describe);
        Assert.That(check.Report?["compressed-clusters"]?.GetValue<long>(), Is.GreaterThan(0), check.Raw.Describe);
        Assert.That(Qemu.Info(disk)["format-specific"]?["data"]?["compression-type"]?.GetValue<string>(), Is.EqualTo("zstd"));
        var compare = Qemu.Img("compare", "-f", "raw", "-F", "qcow2", source, disk);
        Assert.That(compare.ExitCode, Is.Zero, compare.Describe);

        var second = Sandbox.Build(project);
        Assert.That(second.ExitCode, Is.Zero, second.Describe);
        Assert.That(second.StandardOutput, Does.Contain("Skipping target \"PackDisk\""), second.Describe);
    }
}
