using QcowKit.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

public sealed class QcowValidateTests
{
    private static (bool Ok, FakeBuildEngine Engine, QcowValidate Task) Run(Action<QcowValidate> configure)
    {
        var engine = new FakeBuildEngine();
        using var task = new QcowValidate { BuildEngine = engine };
        configure(task);
        var ok = task.Execute();
        return (ok, engine, task);
    }

    [Test]
    public void Clean_image_passes_with_no_errors_or_warnings()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Clean(temp);
        var (ok, engine, task) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(engine.Errors, Is.Empty);
        Assert.That(engine.Warnings, Is.Empty);
        Assert.That(task.Results.Single().GetMetadata("ExitCode"), Is.EqualTo("0"));
    }

    [Test]
    public void Leak_is_a_warning_with_the_leak_code_and_the_image_as_file()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Leaking(temp);
        var (ok, engine, _) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(engine.Errors, Is.Empty, engine.Describe);
        var warning = engine.Warnings.Single(w => w.Code == QcowFindingCodes.Leak);
        Assert.That(warning.File, Is.EqualTo(path));
        Assert.That(warning.HelpKeyword, Is.EqualTo("QcowKit." + QcowFindingCodes.Leak));
    }

    [Test]
    public void Leak_is_an_error_with_LeaksAsErrors()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Leaking(temp);
        var (ok, engine, _) = Run(t => { t.Image = [TestImages.Item(path)]; t.LeaksAsErrors = true; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Does.Contain(QcowFindingCodes.Leak), engine.Describe);
        Assert.That(engine.Warnings, Is.Empty, engine.Describe);
    }

    [Test]
    public void LeaksAsErrors_metadata_overrides_the_parameter_per_image()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Leaking(temp);
        var (ok, engine, _) = Run(t => t.Image = [TestImages.Item(path, ("LeaksAsErrors", "true"))]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Does.Contain(QcowFindingCodes.Leak), engine.Describe);
    }

    [Test]
    public void Results_carry_the_counts_qemu_img_check_reports()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Leaking(temp);
        var qemu = Qemu.Check(path);
        Assert.That(qemu.ExitCode, Is.EqualTo(3), "the byte edit must make qemu see a leak and nothing else");
        var (_, engine, task) = Run(t => t.Image = [TestImages.Item(path)]);
        var result = task.Results.Single();
        Assert.That(result.GetMetadata("ExitCode"), Is.EqualTo(qemu.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)), engine.Describe);
        Assert.That(result.GetMetadata("Leaks"), Is.EqualTo(qemu.Report!["leaks"]!.ToString()));
        Assert.That(result.GetMetadata("Corruptions"), Is.EqualTo("0"));
        Assert.That(result.GetMetadata("AllocatedClusters"), Is.EqualTo(qemu.Report["allocated-clusters"]!.ToString()));
        Assert.That(result.GetMetadata("ImageEndOffset"), Is.EqualTo(qemu.Report["image-end-offset"]!.ToString()));
    }

    [Test]
    public void Refcount_zero_corruption_is_an_error_naming_the_image()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.RefcountZero(temp);
        Assert.That(Qemu.Check(path).ExitCode, Is.EqualTo(2), "the byte edit must make qemu call it corrupt");
        var (ok, engine, task) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(ok, Is.False);
        var error = engine.Errors[0];
        Assert.That(error.Code, Is.AnyOf(QcowFindingCodes.RefcountZero, QcowFindingCodes.RefcountTooLow), engine.Describe);
        Assert.That(error.File, Is.EqualTo(path));
        Assert.That(task.Results.Single().GetMetadata("ExitCode"), Is.EqualTo("2"));
    }

    [Test]
    public void AllowedFindings_report_a_finding_as_a_message_only()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Leaking(temp);
        var (ok, engine, _) = Run(t => { t.Image = [TestImages.Item(path)]; t.LeaksAsErrors = true; t.AllowedFindings = [QcowFindingCodes.Leak]; });
        Assert.That(ok, Is.True, engine.Describe);
        Assert.That(engine.Errors, Is.Empty);
        Assert.That(engine.Warnings, Is.Empty);
        Assert.That(engine.Messages.Select(m => m.Code), Does.Contain(QcowFindingCodes.Leak));
    }

    [Test]
    public void AllowedFindings_metadata_applies_to_its_image_only()
    {
        using var temp = new TempDirectory("validate");
        var allowed = TestImages.RefcountZero(temp, "allowed.qcow2");
        var checkedOne = TestImages.RefcountZero(temp, "checked.qcow2");
        var codes = $"{QcowFindingCodes.RefcountZero};{QcowFindingCodes.RefcountTooLow};{QcowFindingCodes.L2CopiedFlag}";
        var (ok, engine, _) = Run(t => t.Image = [TestImages.Item(allowed, ("AllowedFindings", codes)), TestImages.Item(checkedOne)]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Select(e => e.File).Distinct(), Is.EqualTo(new[] { checkedOne }), engine.Describe);
    }

    [Test]
    public void Dirty_image_fails_unless_AllowDirty()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Dirty(temp);
        var (failed, engine, _) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(failed, Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Does.Contain(QcowFindingCodes.Dirty), engine.Describe);

        var (ok, allowedEngine, _) = Run(t => { t.Image = [TestImages.Item(path)]; t.AllowDirty = true; });
        Assert.That(ok, Is.True, allowedEngine.Describe);
        Assert.That(allowedEngine.Messages.Select(m => m.Code), Does.Contain(QcowFindingCodes.Dirty));
    }

    [Test]
    public void Untrusted_reports_a_backing_file_reference_as_an_error()
    {
        using var temp = new TempDirectory("validate");
        var backing = TestImages.Clean(temp, "base.qcow2");
        var overlay = temp.File("overlay.qcow2");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay);
        var (trusting, trustingEngine, _) = Run(t => t.Image = [TestImages.Item(overlay)]);
        Assert.That(trusting, Is.True, trustingEngine.Describe);

        var (ok, engine, _) = Run(t => { t.Image = [TestImages.Item(overlay)]; t.Untrusted = true; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Does.Contain(QcowFindingCodes.BackingFileReference), engine.Describe);
    }

    [Test]
    public void Deep_finds_a_zero_flag_in_a_version_2_image_that_qemu_accepts()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Clean(temp, "v2.qcow2", "compat=0.10");
        QcowByteEdits.Poke(path, QcowByteEdits.FirstL2EntryOffset(path) + 7, [0x01]);
        Assert.That(Qemu.Check(path).ExitCode, Is.Zero, "qemu-img check does not look at the zero flag");
        var (shallow, shallowEngine, _) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(shallow, Is.True, shallowEngine.Describe);

        var (ok, engine, _) = Run(t => { t.Image = [TestImages.Item(path)]; t.Deep = true; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Does.Contain(QcowFindingCodes.ZeroFlagInVersion2), engine.Describe);
    }

    [Test]
    public void Missing_image_fails_with_QCOW1001()
    {
        using var temp = new TempDirectory("validate");
        var path = temp.File("absent.qcow2");
        var (ok, engine, _) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1001"));
        Assert.That(engine.Errors.Single().File, Is.EqualTo(path));
    }

    [Test]
    public void Folder_in_place_of_an_image_fails_with_QCOW1002()
    {
        using var temp = new TempDirectory("validate");
        var path = Directory.CreateDirectory(temp.File("folder.qcow2")).FullName;
        var (ok, engine, _) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1002"), engine.Describe);
    }

    [Test]
    public void File_that_is_not_qcow2_fails_as_unopenable()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.NotQcow(temp);
        var (ok, engine, task) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Is.All.AnyOf(QcowFindingCodes.CannotOpen, "QCOW1003"), engine.Describe);
        Assert.That(engine.Errors.Select(e => e.File), Is.All.EqualTo(path));
    }

    [Test]
    public void Encrypted_image_fails_as_unopenable()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Encrypted(temp);
        var (ok, engine, _) = Run(t => t.Image = [TestImages.Item(path)]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Select(e => e.Code), Is.All.AnyOf(QcowFindingCodes.CannotOpen, "QCOW1004"), engine.Describe);
        Assert.That(engine.Errors.Select(e => e.Message), Has.Some.Contains("ncrypt"), engine.Describe);
    }

    [Test]
    public void Malformed_boolean_metadata_fails_with_QCOW1044_naming_the_rule_and_value()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Clean(temp);
        var (ok, engine, _) = Run(t => t.Image = [TestImages.Item(path, ("Deep", "very"))]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1044"), engine.Describe);
        Assert.That(engine.Errors.Single().Message, Does.Contain("Deep: 'very' is not a boolean"));
    }

    [Test]
    public void Every_image_is_checked_even_after_one_fails()
    {
        using var temp = new TempDirectory("validate");
        var missing = temp.File("absent.qcow2");
        var leaky = TestImages.Leaking(temp);
        var (ok, engine, task) = Run(t => t.Image = [TestImages.Item(missing), TestImages.Item(leaky)]);
        Assert.That(ok, Is.False);
        Assert.That(engine.Warnings.Select(w => w.File), Does.Contain(leaky), engine.Describe);
        Assert.That(task.Results, Has.Length.EqualTo(1));
    }

    [Test]
    public void Canceled_task_stops_with_QCOW1006()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Clean(temp);
        var engine = new FakeBuildEngine();
        using var task = new QcowValidate { BuildEngine = engine, Image = [TestImages.Item(path)] };
        task.Cancel();
        Assert.That(task.Execute(), Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1006"));
        Assert.That(task.Results, Is.Empty);
    }

    [Test]
    public void A_check_that_cannot_complete_fails_even_when_its_findings_are_allowed()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.NotQcow(temp);
        var (ok, engine, _) = Run(t => { t.Image = [TestImages.Item(path)]; t.AllowedFindings = ["QCOW0100"]; });
        Assert.That(ok, Is.False, engine.Describe);
        Assert.That(engine.Errors.Select(e => e.Code), Does.Contain("QCOW0103"), engine.Describe);
    }

    [Test]
    public void MaxVirtualSize_in_qemu_size_syntax_blocks_a_larger_disk()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Clean(temp);
        var (ok, engine, _) = Run(t => { t.Image = [TestImages.Item(path)]; t.MaxVirtualSize = "0x100000"; });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW0706"), engine.Describe);
    }

    [Test]
    public void A_policy_file_holds_the_same_rules_as_the_parameters()
    {
        using var temp = new TempDirectory("validate");
        var path = TestImages.Clean(temp);
        var policy = temp.File("policy.json");
        File.WriteAllText(policy, """{ "RequiredClusterSize": "4k", "NoSnapshots": true }""");
        var (ok, engine, _) = Run(t => { t.Image = [TestImages.Item(path)]; t.Policy = TestImages.Item(policy); });
        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW0903"), engine.Describe);
    }
}

public sealed class QcowValidateCancellationTests
{
    [Test]
    public void Cancel_from_another_thread_stops_the_check_mid_image_with_QCOW1006()
    {
        using var temp = new TempDirectory("validate-cancel");
        var path = ImageWithManyL2Tables(temp);
        var engine = new FakeBuildEngine();
        using var task = new QcowValidate { BuildEngine = engine, Image = [TestImages.Item(path)] };
        using var progressSeen = new ManualResetEventSlim();
        using var canceled = new ManualResetEventSlim();
        var canceller = new Thread(() =>
        {
            progressSeen.Wait();
            task.Cancel();
            canceled.Set();
        });
        canceller.Start();
        // The check thread waits in its first progress report until the other thread has canceled, so the
        // cancellation lands mid-image whatever the machine's speed.
        engine.OnMessage = message =>
        {
            if (!message.Message!.StartsWith("Checking ", StringComparison.Ordinal)) return;
            progressSeen.Set();
            canceled.Wait();
        };

        var ok = task.Execute();
        canceller.Join();

        Assert.That(ok, Is.False);
        Assert.That(engine.Errors.Single().Code, Is.EqualTo("QCOW1006"), engine.Describe);
        var progress = engine.Messages.Where(m => m.Message!.StartsWith("Checking ", StringComparison.Ordinal)).ToList();
        Assert.That(progress, Has.Count.EqualTo(1), "stopped after the first progress step (10% of the L2 tables)");
        Assert.That(progress[0].Message, Does.Contain(" 10 %").Or.Contains(" 10%"), progress[0].Message);
        Assert.That(task.Results, Is.Empty, "no verdict for a check that did not finish");
    }

    /// <summary>512-byte clusters with a written sector every 32 KiB over 64 MiB: 2048 L2 tables to walk.</summary>
    private static string ImageWithManyL2Tables(TempDirectory temp)
    {
        var raw = temp.File("source.raw");
        using (var file = File.Create(raw))
        {
            file.SetLength(64L << 20);
            var sector = new byte[512];
            Array.Fill(sector, (byte)0x5a);
            for (long offset = 0; offset < file.Length; offset += 32 << 10)
            {
                file.Position = offset;
                file.Write(sector);
            }
        }
        var path = temp.File("many-tables.qcow2");
        Qemu.ImgOk("convert", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=512", raw, path);
        return path;
    }
}
