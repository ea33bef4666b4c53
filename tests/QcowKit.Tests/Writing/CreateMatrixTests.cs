using System.Text.Json.Nodes;
using QcowKit.Create;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>
/// Images made by QcowKit for a generated sample of the create option space: each must be clean for
/// qemu-img check, report the options through qemu-img info, and map exactly like the image qemu-img
/// creates from the same options.
/// </summary>
[TestFixture]
public sealed class CreateMatrixTests
{
    private const int SampleSize = 40;

    private static readonly string[] Compats = ["0.10", "1.1"];
    private static readonly string[] ClusterSizes = ["512", "4k", "64k", "2M"];
    private static readonly int[] RefcountBits = [1, 2, 4, 8, 16, 32, 64];
    private static readonly string[] Preallocations = ["off", "metadata", "falloc", "full"];
    private static readonly string[] Attachments = ["none", "backing-qcow2", "backing-raw", "backing-no-size", "data-file", "data-file-raw"];

    /// <summary>A seeded sample of valid combinations; Matrix_covers_every_option_value proves every value appears.</summary>
    public static IEnumerable<TestCaseData> Matrix()
    {
        var random = new Random(4242);
        var cases = new List<(string Options, string Attachment, int SizeMiB)>();
        var attempts = 0;
        while (cases.Count < SampleSize && attempts++ < 100_000)
        {
            var compat = Compats[random.Next(Compats.Length)];
            var cluster = ClusterSizes[random.Next(ClusterSizes.Length)];
            var refcount = RefcountBits[random.Next(RefcountBits.Length)];
            var extended = random.Next(3) == 0 ? "on" : "off";
            var lazy = random.Next(2) == 0 ? "on" : "off";
            var compression = random.Next(2) == 0 ? "zlib" : "zstd";
            var prealloc = Preallocations[random.Next(Preallocations.Length)];
            var attachment = Attachments[random.Next(Attachments.Length)];
            var sizeMiB = 1 + random.Next(8);
            if (cluster == "512" && prealloc != "off")
            {
                // qemu-img itself needs seconds for these (one flush per cluster); Grows_the_refcount_table covers them.
                prealloc = "off";
            }
            if (compat == "0.10")
            {
                // Most v3-only values would make a 0.10 case invalid; keep v2 cases frequent.
                (refcount, extended, lazy, compression) = (16, "off", "off", "zlib");
            }
            var options = $"compat={compat},cluster_size={cluster},refcount_bits={refcount},extended_l2={extended},lazy_refcounts={lazy},compression_type={compression},preallocation={prealloc}";
            var probe = QcowCreateOptions.Parse(options);
            if (attachment.StartsWith("backing", StringComparison.Ordinal))
            {
                probe.BackingFile = "base";
                probe.BackingFormat = "qcow2";
            }
            if (attachment.StartsWith("data-file", StringComparison.Ordinal)) probe.DataFile = "data";
            probe.DataFileRaw = attachment == "data-file-raw";
            try
            {
                probe.Validate();
            }
            catch (QcowOptionsException)
            {
                continue;
            }
            cases.Add((options, attachment, sizeMiB));
        }
        return cases.Select((c, i) => new TestCaseData(c.Options, c.Attachment, c.SizeMiB).SetArgDisplayNames($"{i:D2} {c.Options} {c.Attachment} {c.SizeMiB}M"));
    }

    [Test]
    public void Matrix_covers_every_option_value()
    {
        var all = Matrix().Select(c => $"{c.Arguments[0]},{c.Arguments[1]}").ToList();
        Assert.That(all, Has.Count.EqualTo(SampleSize));
        foreach (var value in Compats.Select(v => $"compat={v},").Concat(ClusterSizes.Select(v => $"cluster_size={v},"))
                     .Concat(RefcountBits.Select(v => $"refcount_bits={v},")).Concat(Preallocations.Select(v => $"preallocation={v},"))
                     .Concat(["extended_l2=on", "lazy_refcounts=on", "compression_type=zstd"]).Concat(Attachments))
        {
            Assert.That(all.Any(c => c.Contains(value, StringComparison.Ordinal)), Is.True, $"no case with {value}: change the seed");
        }
    }

    [TestCaseSource(nameof(Matrix))]
    public void Creates_images_qemu_calls_clean_and_maps_like_its_own(string options, string attachment, int sizeMiB)
    {
        using var temp = new TempDirectory("create");
        var size = $"{sizeMiB}M";
        var extra = "";
        var sizeArgument = size;
        switch (attachment)
        {
            case "backing-qcow2":
            case "backing-no-size":
                Qemu.CreateQcow2(temp.File("base.qcow2"), $"{sizeMiB + 1}M");
                Qemu.Io(temp.File("base.qcow2"), "write -P 0x5a 0 64k");
                extra = ",backing_file=base.qcow2,backing_fmt=qcow2";
                if (attachment == "backing-no-size") sizeArgument = "";
                break;
            case "backing-raw":
                File.WriteAllBytes(temp.File("base.raw"), new byte[3 << 20]);
                extra = ",backing_file=base.raw,backing_fmt=raw";
                break;
            case "data-file":
                extra = $",data_file={temp.File("ours.data")}";
                break;
            case "data-file-raw":
                extra = $",data_file={temp.File("ours.data")},data_file_raw=on";
                break;
        }

        var ours = temp.File("ours.qcow2");
        QcowCreator.Create(ours, QcowCreateOptions.Parse(options + extra, sizeArgument.Length > 0 ? sizeArgument : null));
        var theirs = temp.File("theirs.qcow2");
        var qemuArguments = new List<string> { "create", "-q", "-f", "qcow2", "-o", options + extra.Replace("ours.data", "theirs.data", StringComparison.Ordinal), theirs };
        if (sizeArgument.Length > 0) qemuArguments.Add(sizeArgument);
        Qemu.ImgOk([.. qemuArguments]);

        var (exitCode, report, raw) = Qemu.Check(ours);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(report?["leaks"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
        Assert.That(report?["corruptions"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);

        var ourInfo = Qemu.Info(ours);
        var theirInfo = Qemu.Info(theirs);
        Assert.Multiple(() =>
        {
            Assert.That(ourInfo["virtual-size"]?.GetValue<long>(), Is.EqualTo(theirInfo["virtual-size"]?.GetValue<long>()));
            Assert.That(ourInfo["cluster-size"]?.GetValue<long>(), Is.EqualTo(theirInfo["cluster-size"]?.GetValue<long>()));
            Assert.That(ourInfo["backing-filename"]?.ToJsonString(), Is.EqualTo(theirInfo["backing-filename"]?.ToJsonString()));
            Assert.That(ourInfo["backing-filename-format"]?.ToJsonString(), Is.EqualTo(theirInfo["backing-filename-format"]?.ToJsonString()));
            Assert.That(FormatSpecific(ourInfo), Is.EqualTo(FormatSpecific(theirInfo)));
            // Whether preallocated data reads as a hole ("zero") depends on where the file system put it, not on qcow2.
            var withZeroFlag = options.Contains("preallocation=off", StringComparison.Ordinal) && attachment != "data-file-raw";
            Assert.That(MapShape(ours, withZeroFlag), Is.EqualTo(MapShape(theirs, withZeroFlag)));
            Assert.That(Qemu.Compare(ours, theirs), Is.Zero, "guest contents differ from qemu's image");
        });
    }

    [Test]
    public void Grows_the_refcount_table_when_preallocation_outgrows_one_cluster()
    {
        using var temp = new TempDirectory("create");
        var image = temp.File("grow.qcow2");
        // 512-byte clusters with 64-bit refcounts: one table cluster covers 64 blocks of 64 clusters (2 MiB).
        QcowCreator.Create(image, QcowCreateOptions.Parse("cluster_size=512,refcount_bits=64,preallocation=metadata", "8M"));
        var (exitCode, report, raw) = Qemu.Check(image);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(report?["leaks"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
        using var stream = File.OpenRead(image);
        var header = new byte[64];
        stream.ReadExactly(header);
        Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(56)), Is.GreaterThan(1u), "refcount_table_clusters");
    }

    /// <summary>The format-specific data qemu reports, with the data file path made comparable.</summary>
    private static string FormatSpecific(JsonObject info)
    {
        var data = info["format-specific"]?["data"]?.DeepClone() as JsonObject ?? [];
        if (data["data-file"] is JsonNode file) data["data-file"] = Path.GetExtension(file.GetValue<string>());
        return data.ToJsonString();
    }

    /// <summary>The guest map without host offsets: which ranges are data, zero, present, at what depth.</summary>
    private static string MapShape(string image, bool withZeroFlag)
    {
        // qemu splits extents where host offsets stop being contiguous; layouts may differ, so merge those.
        var merged = new List<(long Start, long Length, string Flags)>();
        foreach (var e in Qemu.Map(image))
        {
            var start = e!["start"]!.GetValue<long>();
            var length = e["length"]!.GetValue<long>();
            var flags = withZeroFlag ? $"d{e["depth"]} {e["present"]} {e["zero"]} {e["data"]}" : $"d{e["depth"]} {e["present"]} {e["data"]}";
            if (merged.Count > 0 && merged[^1].Flags == flags && merged[^1].Start + merged[^1].Length == start)
            {
                merged[^1] = (merged[^1].Start, merged[^1].Length + length, flags);
            }
            else
            {
                merged.Add((start, length, flags));
            }
        }
        return string.Join(";", merged.Select(m => $"{m.Start}+{m.Length} {m.Flags}"));
    }
}
