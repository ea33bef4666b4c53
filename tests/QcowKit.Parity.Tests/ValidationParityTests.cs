using QcowKit.Check;
using QcowKit.Tasks.Tests;
using QcowKit.TestSupport;

namespace QcowKit.Parity.Tests;

/// <summary>
/// The same image and the same policy rules, through the library, the CLI, Cake and MSBuild: every surface
/// must reach the engine's verdict with the engine's blocking codes, or refuse a bad rule value with the
/// engine's message. A surface that parses or decides on its own shows up here as a different verdict.
/// </summary>
public sealed class ValidationParityTests
{
    /// <summary>Images made by qemu-img / qemu-io (byte edits only where qemu cannot make the fault).</summary>
    private static readonly Dictionary<string, Func<TempDirectory, string>> Images = new()
    {
        ["clean"] = temp => TestImages.Clean(temp),
        ["leaky"] = temp => TestImages.Leaking(temp),
        ["refcount-zero"] = temp => TestImages.RefcountZero(temp),
        ["dirty"] = temp => TestImages.Dirty(temp),
        ["encrypted"] = temp => TestImages.Encrypted(temp),
        ["not-qcow2"] = temp => TestImages.NotQcow(temp),
        ["compat-0.10"] = temp => TestImages.Clean(temp, "v2.qcow2", "compat=0.10"),
        ["zstd"] = temp => TestImages.Clean(temp, "zstd.qcow2", "compression_type=zstd"),
        ["backing"] = temp =>
        {
            var base_ = TestImages.Clean(temp, "base.qcow2");
            var overlay = temp.File("overlay.qcow2");
            Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", base_, "-F", "qcow2", overlay);
            return overlay;
        },
        ["data-file"] = temp =>
        {
            var path = temp.File("external.qcow2");
            Qemu.ImgOk("create", "-q", "-f", "qcow2", "-o", $"data_file={temp.File("external.raw")}", path, "4M");
            return path;
        },
        ["snapshot"] = temp =>
        {
            var path = TestImages.Clean(temp, "snap.qcow2");
            Qemu.ImgOk("snapshot", "-c", "s1", path);
            return path;
        },
        ["bitmap"] = temp =>
        {
            var path = TestImages.Clean(temp, "bitmap.qcow2");
            Qemu.ImgOk("bitmap", "--add", path, "b0");
            return path;
        },
        ["unknown-autoclear-bit"] = temp =>
        {
            var path = TestImages.Clean(temp, "autoclear.qcow2");
            // Autoclear bit 7, which no qcow2 version defines: qemu clears it on a write open, so it is set by hand.
            QcowByteEdits.Poke(path, 88, [0, 0, 0, 0, 0, 0, 0, 0x80]);
            return path;
        },
    };

    private static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string image, params (string Rule, string Value)[] rules) =>
            new TestCaseData(image, rules).SetArgDisplayNames(image, rules.Length == 0 ? "defaults" : string.Join(" ", rules.Select(r => $"{r.Rule}={r.Value}")));

        // Each kind of bad image under the default policy.
        foreach (var image in new[] { "clean", "leaky", "refcount-zero", "dirty", "encrypted", "not-qcow2" }) yield return Case(image);
        // What blocks.
        yield return Case("leaky", ("LeaksAsErrors", "true"));
        yield return Case("dirty", ("AllowDirty", "true"));
        yield return Case("dirty", ("AllowedFindings", QcowFindingCodes.Dirty));
        yield return Case("refcount-zero", ("AllowedFindings", QcowFindingCodes.RefcountZero));
        yield return Case("clean", ("Deep", "true"));
        // Untrusted mode and its folders.
        yield return Case("backing", ("Untrusted", "true"));
        yield return Case("backing", ("Untrusted", "true"), ("AllowedDirectories", "{folder}"));
        // Sizes in every accepted spelling (the clean image is 4 MiB), and refused ones.
        foreach (var size in new[] { "4M", "4m", "4194304", "0x400000", "4096k", "4096K", "0.00390625G", "1.5T", "3.5M", "0x3fffff", "4194303b" })
        {
            yield return Case("clean", ("MaxVirtualSize", size));
        }
        yield return Case("clean", ("Untrusted", "true"), ("MaxVirtualSize", "1.5M"));
        foreach (var bad in new[] { "1.5Q", "1.5", "-1", "64MB", "0x", "lots" })
        {
            yield return Case("clean", ("MaxVirtualSize", bad));
        }
        yield return Case("clean", ("MaxFileSize", "1k"));
        yield return Case("clean", ("MaxFileSize", "1G"));
        // Image rules.
        yield return Case("compat-0.10", ("RequiredCompat", "1.1"));
        yield return Case("compat-0.10", ("RequiredCompat", "0.10"));
        yield return Case("clean", ("RequiredCompat", "2.0"));
        yield return Case("clean", ("RequiredCompressionType", "zstd"));
        yield return Case("zstd", ("RequiredCompressionType", "zstd"));
        yield return Case("clean", ("RequiredCompressionType", "lzo"));
        // Odd spellings of qemu's names: refused (qemu's names are case-sensitive) or taken the same everywhere.
        yield return Case("clean", ("RequiredCompressionType", "ZSTD"));
        yield return Case("clean", ("RequiredCompressionType", "zlib"));
        yield return Case("clean", ("RequiredCompat", "2"));
        yield return Case("clean", ("RequiredCompat", "v3"));
        yield return Case("compat-0.10", ("RequiredCompat", "v2"));
        yield return Case("clean", ("RequiredClusterSize", "4G"));
        yield return Case("clean", ("RequiredClusterSize", "4k"));
        yield return Case("clean", ("RequiredClusterSize", "64k"));
        yield return Case("backing", ("NoBackingFile", "true"));
        yield return Case("data-file", ("NoExternalDataFile", "true"));
        yield return Case("snapshot", ("NoSnapshots", "true"));
        yield return Case("bitmap", ("NoBitmaps", "true"));
        yield return Case("encrypted", ("NoEncryption", "true"));
        yield return Case("unknown-autoclear-bit", ("NoUnknownFeatures", "true"));
        yield return Case("unknown-autoclear-bit");
        yield return Case("clean", ("AllowedFindings", "QCOW0800"), ("LeaksAsErrors", "true"), ("NoSnapshots", "true"), ("NoBitmaps", "true"));
        // A check that cannot complete fails even when its findings are allowed (QCOW0103).
        yield return Case("not-qcow2", ("AllowedFindings", QcowFindingCodes.CannotOpen));
    }

    [TestCaseSource(nameof(Cases))]
    public void Every_surface_reaches_the_engines_verdict(string imageKind, (string Rule, string Value)[] rules)
    {
        using var temp = new TempDirectory("parity-validate");
        var image = Images[imageKind](temp);
        rules = [.. rules.Select(r => (r.Rule, r.Value.Replace("{folder}", temp.Path, StringComparison.Ordinal)))];

        var verdicts = Surface.All(temp.Path).Select(surface => (surface, verdict: surface.Validate(image, rules))).ToList();

        var engine = verdicts[0].verdict;
        TestContext.Out.WriteLine(string.Join('\n', verdicts.Select(v => $"{v.surface}: {v.verdict}")));
        foreach (var (surface, verdict) in verdicts.Skip(1))
        {
            var context = $"{surface}: {verdict}\n{verdict.Output}\nlibrary: {engine}\n{engine.Output}";
            if (engine.Refusal is not null)
            {
                Assert.That(verdict.Refusal, Does.Contain(engine.Refusal), context);
                continue;
            }
            Assert.That(verdict.Refusal, Is.Null, context);
            Assert.That(verdict.Passed, Is.EqualTo(engine.Passed), context);
            Assert.That(verdict.BlockingCodes, Is.EqualTo(engine.BlockingCodes), context);
        }
    }

    [Test]
    public void Every_surface_prints_the_engines_finding_text()
    {
        using var temp = new TempDirectory("parity-text");
        var image = TestImages.RefcountZero(temp);
        var findings = QcowValidator.Validate(image).Findings;
        Assert.That(findings.Where(f => f.Offset >= 0), Is.Not.Empty, "a finding with an offset shows the offset's format too");

        var surfaces = Surface.All(temp.Path).ToDictionary(s => s.Name, s => s.Validate(image, []));

        foreach (var finding in findings)
        {
            Assert.That(surfaces["cli"].Output, Does.Contain(finding.ToString()), "cli");
            Assert.That(surfaces["cake"].Output, Does.Contain(finding.ToString()), "cake");
            Assert.That(surfaces["msbuild"].Output, Does.Contain($"{finding.Code}: {finding.Describe()}"), "msbuild");
        }
    }
}
