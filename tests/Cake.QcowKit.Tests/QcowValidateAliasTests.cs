using Cake.Core;
using Cake.Core.IO;
using QcowKit.Check;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

[TestFixture]
public sealed class QcowValidateAliasTests
{
    [Test]
    public void Returns_qemus_counts_for_a_clean_image()
    {
        using var temp = new TempDirectory("cake-validate");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "64M");
        Qemu.Io(image, "write -P 0x33 0 3M", "write -P 0x44 40M 128k");
        using var cake = new CakeTestContext(temp.Path);

        var result = cake.Context.QcowValidate(new FilePath(image));

        var qemu = Qemu.Check(image).Report!;
        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.AllocatedClusters, Is.EqualTo((long)qemu["allocated-clusters"]!));
        Assert.That(result.TotalClusters, Is.EqualTo((long)qemu["total-clusters"]!));
        Assert.That(result.ImageEndOffset, Is.EqualTo((long)qemu["image-end-offset"]!));
    }

    [Test]
    public void Throws_a_cake_exception_listing_codes_and_offsets_for_a_corrupt_image()
    {
        using var temp = new TempDirectory("cake-validate");
        var image = LazyRefcountCrash(temp);
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowValidate(new FilePath(image)),
            Throws.InstanceOf<CakeException>().With.Message.Contains($"qcow2 image {image} failed validation")
                .And.Message.Match(@"QCOW02\d\d ERROR at offset 0x[0-9a-f]+"));
    }

    [Test]
    public void The_exception_carries_the_result_and_the_blocking_findings()
    {
        using var temp = new TempDirectory("cake-validate");
        var image = LazyRefcountCrash(temp);
        using var cake = new CakeTestContext(temp.Path);

        var ex = (QcowValidationException)Assert.Throws<CakeException>(() => cake.Context.QcowValidate(new FilePath(image)))!.InnerException!;

        var qemu = Qemu.Check(image).Report!;
        Assert.That(ex.Result.Corruptions, Is.EqualTo((long)qemu["corruptions"]!));
        Assert.That(ex.BlockingFindings, Is.Not.Empty);
        Assert.That(ex.BlockingFindings.Where(f => f.Severity != QcowFindingSeverity.Error).Select(f => f.Code),
            Is.All.EqualTo(QcowFindingCodes.Dirty), "only errors, and the dirty bit without AllowDirty, block");
    }

    [Test]
    public void Logs_every_finding_as_an_error_when_it_fails()
    {
        using var temp = new TempDirectory("cake-validate");
        var image = LazyRefcountCrash(temp);
        using var cake = new CakeTestContext(temp.Path);
        var findings = QcowChecker.Check(image).Findings;

        Assert.That(() => cake.Context.QcowValidate(new FilePath(image)), Throws.InstanceOf<CakeException>());

        Assert.That(findings, Is.Not.Empty);
        foreach (var finding in findings.Where(f => f.Severity == QcowFindingSeverity.Error))
        {
            Assert.That(cake.Console.Text, Does.Contain($"{finding.Code} ERROR"));
        }
    }

    [Test]
    public void Allowed_findings_and_allow_dirty_accept_the_same_image()
    {
        using var temp = new TempDirectory("cake-validate");
        var image = LazyRefcountCrash(temp);
        using var cake = new CakeTestContext(temp.Path);
        var codes = QcowChecker.Check(image).Findings.Select(f => f.Code).Distinct().ToArray();

        var result = cake.Context.QcowValidate(new FilePath(image),
            new QcowValidateSettings().WithAllowDirty().WithAllowedFindings(codes));

        Assert.That(result.Corruptions, Is.GreaterThan(0));
        Assert.That(cake.Console.Text, Does.Contain("acceptable"));
    }

    [Test]
    public void Untrusted_fails_an_image_that_names_a_backing_file()
    {
        using var temp = new TempDirectory("cake-validate");
        var backing = temp.File("base.qcow2");
        var overlay = temp.File("overlay.qcow2");
        Qemu.CreateQcow2(backing, "16M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay);
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(cake.Context.QcowValidate(new FilePath(overlay)).ExitCode, Is.Zero);
        Assert.That(() => cake.Context.QcowValidate(new FilePath(overlay), new QcowValidateSettings().WithUntrusted()),
            Throws.InstanceOf<CakeException>().With.Message.Contains(QcowFindingCodes.BackingFileReference));
    }

    [Test]
    public void Untrusted_accepts_a_backing_file_inside_an_allowed_directory()
    {
        using var temp = new TempDirectory("cake-validate");
        var backing = temp.File("base.qcow2");
        var overlay = temp.File("overlay.qcow2");
        Qemu.CreateQcow2(backing, "16M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay);
        using var cake = new CakeTestContext(temp.Path);

        var result = cake.Context.QcowValidate(new FilePath(overlay), new QcowValidateSettings()
            .WithUntrusted()
            .WithAllowedDirectory(new DirectoryPath(temp.Path))
            .WithAllowedFindings(QcowFindingCodes.BackingFileReference));

        Assert.That(result.Findings.Select(f => f.Code), Does.Not.Contain(QcowFindingCodes.ReferenceOutsideAllowedDirectories));
    }

    [Test]
    public void Untrusted_fails_a_disk_larger_than_the_limit()
    {
        using var temp = new TempDirectory("cake-validate");
        var image = temp.File("big.qcow2");
        Qemu.CreateQcow2(image, "1G");
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowValidate(new FilePath(image), new QcowValidateSettings().WithUntrusted().WithMaxVirtualSize(512L << 20)),
            Throws.InstanceOf<CakeException>().With.Message.Contains(QcowFindingCodes.VirtualSizeTooLarge));
    }

    /// <summary>
    /// A corrupt, dirty image made by qemu itself: with lazy refcounts the refcount update is
    /// deferred, and qemu-io's abort kills it before it is written (qemu-iotests 039).
    /// </summary>
    internal static string LazyRefcountCrash(TempDirectory temp)
    {
        var image = temp.File("crashed.qcow2");
        Qemu.CreateQcow2(image, "64M", "lazy_refcounts=on");
        global::QcowKit.TestSupport.ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "write -P 0x5a 0 512", "-c", "abort", image]);
        Assert.That(Qemu.Check(image).ExitCode, Is.EqualTo(2), "qemu-img check should find the crashed image corrupt");
        return image;
    }
}
