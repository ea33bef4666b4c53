using QcowKit.Format;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Options;

/// <summary>The engine's one parser of qemu's names: the spellings qemu-img accepts, and its message for the rest.</summary>
[TestFixture]
public sealed class QemuNamesTests
{
    private static readonly (string Option, string Value)[] Spellings =
    [
        ("compat", "0.10"), ("compat", "v2"), ("compat", "1.1"), ("compat", "v3"), ("compat", "2"), ("compat", "V3"), ("compat", "1.10"), ("compat", " 1.1"), ("compat", "0.1"),
        ("compression_type", "zlib"), ("compression_type", "zstd"), ("compression_type", "ZSTD"), ("compression_type", "deflate"), ("compression_type", "Zlib"),
        ("preallocation", "off"), ("preallocation", "metadata"), ("preallocation", "falloc"), ("preallocation", "full"), ("preallocation", "Full"), ("preallocation", "on"), ("preallocation", "meta"),
    ];

    [TestCaseSource(nameof(Spellings))]
    public void A_value_is_accepted_or_refused_with_qemu_imgs_message((string Option, string Value) spelling)
    {
        var (option, value) = spelling;
        using var temp = new TempDirectory("qemu-names");
        var qemu = Qemu.Img("create", "-q", "-f", "qcow2", "-o", $"{option}={value}", temp.File("qemu.qcow2"), "1M");
        var accepted = option switch
        {
            "compat" => QemuNames.TryParseCompat(value, out _),
            "compression_type" => QemuNames.TryParseCompressionType(value, out _),
            _ => QemuNames.TryParsePreallocation(value, out _),
        };
        Assert.That(accepted, Is.EqualTo(qemu.ExitCode == 0), qemu.StandardError);
        TestDelegate parse = option switch
        {
            "compat" => () => QemuNames.ParseCompat(value),
            "compression_type" => () => QemuNames.ParseCompressionType(value),
            _ => () => QemuNames.ParsePreallocation(value),
        };
        if (accepted)
        {
            Assert.That(parse, Throws.Nothing);
        }
        else
        {
            var message = qemu.StandardError.Trim().Split(": ")[^1];
            Assert.That(parse, Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo(message));
        }
    }

    [TestCase("qcow2", true)]
    [TestCase("raw", true)]
    [TestCase("QCOW2", false)]
    [TestCase("Raw", false)]
    [TestCase("vmdk", false)]
    [TestCase("qcow", false)]
    public void An_output_format_is_accepted_or_refused_as_qemu_img_convert_does(string name, bool qcowKitWrites)
    {
        using var temp = new TempDirectory("qemu-names");
        Qemu.CreateQcow2(temp.File("source.qcow2"), "1M");
        var qemu = Qemu.Img("convert", "-O", name, temp.File("source.qcow2"), temp.File("out"));
        Assert.That(QemuNames.TryParseImageFormat(name, out _), Is.EqualTo(qcowKitWrites));
        if (qcowKitWrites)
        {
            Assert.That(qemu.ExitCode, Is.Zero, qemu.StandardError);
            Assert.That(QemuNames.Name(QemuNames.ParseImageFormat(name)), Is.EqualTo(name));
        }
        else if (name != "vmdk" && name != "qcow")
        {
            // Formats qemu writes and QcowKit does not aside, the refusal is qemu's, word for word.
            var message = qemu.StandardError.Trim().Split("qemu-img: ")[^1];
            Assert.That(() => QemuNames.ParseImageFormat(name), Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo(message));
        }
        else
        {
            Assert.That(() => QemuNames.ParseImageFormat(name), Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo($"Unknown file format '{name}'"));
        }
    }

    [Test]
    public void An_input_format_is_refused_with_qemus_unknown_driver_message()
    {
        using var temp = new TempDirectory("qemu-names");
        Qemu.CreateQcow2(temp.File("image.qcow2"), "1M");
        var qemu = Qemu.Img("info", "-f", "QCOW2", temp.File("image.qcow2"));
        Assert.That(qemu.StandardError, Does.Contain("Unknown driver 'QCOW2'"));
        Assert.That(() => QemuNames.ParseDriver("QCOW2"), Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo("Unknown driver 'QCOW2'"));
        Assert.That(QemuNames.ParseDriver("raw"), Is.EqualTo(QcowImageFormat.Raw));
    }

    [Test]
    public void Every_value_has_the_name_qemu_img_info_and_create_print()
    {
        using var temp = new TempDirectory("qemu-names");
        foreach (var compat in Enum.GetValues<QcowCompat>())
        {
            var image = temp.File($"compat-{compat}.qcow2");
            Qemu.CreateQcow2(image, "1M", $"compat={QemuNames.Name(compat)}");
            Assert.That((string)Qemu.Info(image)["format-specific"]!["data"]!["compat"]!, Is.EqualTo(QemuNames.Name(compat)));
            Assert.That(QemuNames.ParseCompat(QemuNames.Name(compat)), Is.EqualTo(compat));
        }
        foreach (var type in Enum.GetValues<CompressionType>())
        {
            var image = temp.File($"type-{type}.qcow2");
            Qemu.CreateQcow2(image, "1M", $"compression_type={QemuNames.Name(type)}");
            Assert.That((string)Qemu.Info(image)["format-specific"]!["data"]!["compression-type"]!, Is.EqualTo(QemuNames.Name(type)));
            Assert.That(QemuNames.ParseCompressionType(QemuNames.Name(type)), Is.EqualTo(type));
        }
        foreach (var preallocation in Enum.GetValues<QcowPreallocation>())
        {
            Qemu.CreateQcow2(temp.File($"prealloc-{preallocation}.qcow2"), "1M", $"preallocation={QemuNames.Name(preallocation)}");
            Assert.That(QemuNames.ParsePreallocation(QemuNames.Name(preallocation)), Is.EqualTo(preallocation));
        }
        Assert.That(() => QemuNames.Name((QcowCompat)4), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => QemuNames.Name((QcowImageFormat)9), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Cluster_size_and_refcount_bits_beyond_an_int_are_refused_with_qemus_message()
    {
        using var temp = new TempDirectory("qemu-names");
        foreach (var (option, expected) in new[] { ("cluster_size=4G", "Cluster size must be a power of two between 512 and 2048k"),
                     ("refcount_bits=4294967296", "Refcount width must be a power of two and may not exceed 64 bits") })
        {
            var qemu = Qemu.Img("create", "-q", "-f", "qcow2", "-o", option, temp.File("qemu.qcow2"), "1M");
            Assert.That(qemu.StandardError, Does.Contain(expected));
            var options = QcowCreateOptions.Parse(option, "1M");
            Assert.That(options.Validate, Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo(expected), option);
        }
    }

    [Test]
    public void The_validation_policy_takes_qemus_spellings_only()
    {
        var policy = new global::QcowKit.Check.QcowValidationPolicy();
        policy.Set("RequiredCompressionType", "zstd");
        policy.Set("RequiredCompat", "v2");
        Assert.That((policy.RequiredCompressionType, policy.RequiredCompat), Is.EqualTo(((CompressionType?)CompressionType.Zstd, (QcowCompat?)QcowCompat.V2)));
        Assert.That(() => policy.Set("RequiredCompressionType", "ZSTD"),
            Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo("RequiredCompressionType: Parameter 'compression-type' does not accept value 'ZSTD'"));
        Assert.That(() => policy.Set("RequiredCompat", "2"),
            Throws.TypeOf<QcowOptionsException>().With.Message.EqualTo("RequiredCompat: Parameter 'version' does not accept value '2'"));
        Assert.That(() => policy.Set("RequiredClusterSize", "4G"), Throws.TypeOf<QcowOptionsException>());
    }
}
