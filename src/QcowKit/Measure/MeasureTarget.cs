using System.Globalization;
using System.Numerics;

namespace QcowKit.Measure;

/// <summary>
/// The output format's options as qemu-img measure reads them: every key is type-checked against the format's
/// creation options first (qemu_opts_do_parse), then qcow2_measure reads the few it needs with its own rules,
/// which differ from create's (compat takes only 0.10 and 1.1; other keys are accepted and ignored).
/// </summary>
internal sealed class MeasureTarget
{
    private enum OptionType
    {
        Text,
        Size,
        Number,
        Bool,
    }

    private static readonly Dictionary<string, OptionType> Qcow2Options = new(StringComparer.Ordinal)
    {
        ["size"] = OptionType.Size, ["compat"] = OptionType.Text, ["backing_file"] = OptionType.Text, ["backing_fmt"] = OptionType.Text,
        ["data_file"] = OptionType.Text, ["data_file_raw"] = OptionType.Bool, ["encryption"] = OptionType.Bool,
        ["encrypt.format"] = OptionType.Text, ["encrypt.key-secret"] = OptionType.Text, ["encrypt.cipher-alg"] = OptionType.Text,
        ["encrypt.cipher-mode"] = OptionType.Text, ["encrypt.ivgen-alg"] = OptionType.Text, ["encrypt.ivgen-hash-alg"] = OptionType.Text,
        ["encrypt.hash-alg"] = OptionType.Text, ["encrypt.iter-time"] = OptionType.Number, ["cluster_size"] = OptionType.Size,
        ["preallocation"] = OptionType.Text, ["lazy_refcounts"] = OptionType.Bool, ["refcount_bits"] = OptionType.Number,
        ["compression_type"] = OptionType.Text, ["extended_l2"] = OptionType.Bool,
        // The host file's creation options, which qemu-img appends to every format's.
        ["nocow"] = OptionType.Bool, ["extent_size_hint"] = OptionType.Size,
    };

    private static readonly Dictionary<string, OptionType> RawOptions = new(StringComparer.Ordinal)
    {
        ["size"] = OptionType.Size, ["preallocation"] = OptionType.Text, ["nocow"] = OptionType.Bool, ["extent_size_hint"] = OptionType.Size,
    };

    private MeasureTarget()
    {
    }

    internal long ClusterSize { get; private init; } = 65536;

    internal bool ExtendedL2 { get; private init; }

    internal int Version { get; private init; } = 3;

    internal long RefcountBits { get; private init; } = 16;

    internal QcowPreallocation Preallocation { get; private init; }

    internal bool HasBackingFile { get; private init; }

    /// <exception cref="QcowOptionsException">With qemu-img measure's message(s) for the first bad option.</exception>
    internal static MeasureTarget Parse(string? optionList, string format)
    {
        var known = format == "qcow2" ? Qcow2Options : RawOptions;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in optionList is null ? [] : QemuOptionList.Parse(optionList))
        {
            if (!known.TryGetValue(key, out var type))
            {
                throw InvalidOptions($"Invalid parameter '{key}'", format);
            }
            CheckType(key, value, type, format);
            values[key] = value;
        }
        return format == "qcow2" ? Qcow2(values) : new MeasureTarget();
    }

    private static MeasureTarget Qcow2(Dictionary<string, string> values)
    {
        var extendedL2 = values.TryGetValue("extended_l2", out var extended) && QcowCreateOptions.ParseBool("extended_l2", extended);
        var clusterSize = values.TryGetValue("cluster_size", out var clusterText) ? Size(clusterText) : 65536UL;
        if (clusterSize < QcowCreateOptions.MinClusterSize || clusterSize > QcowCreateOptions.MaxClusterSize || !BitOperations.IsPow2(clusterSize))
        {
            throw new QcowOptionsException("Cluster size must be a power of two between 512 and 2048k");
        }
        if (extendedL2 && clusterSize < QcowCreateOptions.MinExtendedL2ClusterSize)
        {
            throw new QcowOptionsException($"Extended L2 entries are only supported with cluster sizes of at least {QcowCreateOptions.MinExtendedL2ClusterSize} bytes");
        }
        var version = values.TryGetValue("compat", out var compat)
            ? compat switch
            {
                "0.10" => 2,
                "1.1" => 3,
                _ => throw new QcowOptionsException($"Invalid compatibility level: '{compat}'"),
            }
            : 3;
        var refcountBits = values.TryGetValue("refcount_bits", out var bitsText) ? Number(bitsText) : 16UL;
        if (refcountBits > 64 || !BitOperations.IsPow2(refcountBits))
        {
            throw new QcowOptionsException("Refcount width must be a power of two and may not exceed 64 bits");
        }
        if (version < 3 && refcountBits != 16)
        {
            throw new QcowOptionsException("Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
        }
        var preallocation = values.TryGetValue("preallocation", out var mode)
            ? mode switch
            {
                "off" => QcowPreallocation.Off,
                "metadata" => QcowPreallocation.Metadata,
                "falloc" => QcowPreallocation.Falloc,
                "full" => QcowPreallocation.Full,
                _ => throw new QcowOptionsException($"invalid parameter value: {mode}"),
            }
            : QcowPreallocation.Off;
        if (values.TryGetValue("encrypt.format", out var encryption) && encryption == "luks")
        {
            throw new QcowOptionsException("QcowKit does not measure LUKS-encrypted qcow2 images (it does not write encrypted images)");
        }
        return new MeasureTarget
        {
            ClusterSize = (long)clusterSize,
            ExtendedL2 = extendedL2,
            Version = version,
            RefcountBits = (long)refcountBits,
            Preallocation = preallocation,
            HasBackingFile = values.ContainsKey("backing_file"),
        };
    }

    private static void CheckType(string key, string value, OptionType type, string format)
    {
        switch (type)
        {
            case OptionType.Size when !QemuSize.TryParse(value, out _):
                throw InvalidOptions(QcowCreateOptions.SizeParameterError(key).Message, format);
            case OptionType.Number when !TryNumber(value, out _):
                throw InvalidOptions($"Parameter '{key}' expects a number", format);
            case OptionType.Bool:
                try
                {
                    QcowCreateOptions.ParseBool(key, value);
                }
                catch (QcowOptionsException ex)
                {
                    throw InvalidOptions(ex.Message, format);
                }
                break;
        }
    }

    /// <summary>qemu prints the option's own error, then a second error naming the format the options were for.</summary>
    private static QcowOptionsException InvalidOptions(string message, string format) =>
        new QcowOptionsException(message).WithSecondLine($"Invalid options for file format '{format}'");

    private static ulong Size(string text) => QemuSize.TryParse(text, out var value) ? value : 0;

    private static ulong Number(string text) => TryNumber(text, out var value) ? value : 0;

    /// <summary>qemu_strtou64 with base 0: decimal, or hex after 0x.</summary>
    private static bool TryNumber(string text, out ulong value) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
