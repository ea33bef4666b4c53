using System.Globalization;
using System.Numerics;
using QcowKit.Format;

namespace QcowKit;

/// <summary>
/// What <c>qemu-img create -f qcow2 -o ...</c> accepts, with qemu's option names, defaults and refusals.
/// Build one in code, or from a qemu option list with <see cref="Parse(string?, string?)"/>.
/// </summary>
public sealed class QcowCreateOptions
{
    /// <summary>The smallest cluster size qemu accepts.</summary>
    public const int MinClusterSize = 512;

    /// <summary>The largest cluster size qemu accepts (2 MiB).</summary>
    public const int MaxClusterSize = 2 * 1024 * 1024;

    /// <summary>The smallest cluster size that allows extended L2 entries (32 subclusters of 512 bytes).</summary>
    public const int MinExtendedL2ClusterSize = 16 * 1024;

    /// <summary>qemu's largest L1 table in bytes (QCOW_MAX_L1_SIZE); it bounds the virtual size.</summary>
    internal const long MaxL1TableBytes = 32L * 1024 * 1024;

    /// <summary>Virtual disk size in bytes (<c>size</c>); null takes it from the backing file. Rounded up to 512.</summary>
    public long? Size { get; set; }

    /// <summary>Header version (<c>compat</c>, default 1.1).</summary>
    public QcowCompat Compat { get; set; } = QcowCompat.V3;

    /// <summary>Cluster size in bytes (<c>cluster_size</c>, default 64 KiB): a power of two from 512 B to 2 MiB.</summary>
    public int ClusterSize { get; set; } = 65536;

    /// <summary>Width of a refcount entry in bits (<c>refcount_bits</c>, default 16): 1, 2, 4, 8, 16, 32 or 64.</summary>
    public int RefcountBits { get; set; } = 16;

    /// <summary>Extended L2 entries with 32 subclusters per cluster (<c>extended_l2</c>).</summary>
    public bool ExtendedL2 { get; set; }

    /// <summary>Lazy refcounts (<c>lazy_refcounts</c>): refcount updates may be deferred while the dirty bit is set.</summary>
    public bool LazyRefcounts { get; set; }

    /// <summary>
    /// qemu-img create's <c>-u</c>: do not open <see cref="BackingFile"/> (it may not exist yet); the size must then be given.
    /// Without it the backing file must open, and the image is checked to open with it before it replaces anything.
    /// </summary>
    public bool Unsafe { get; set; }

    /// <summary>Compression used by compressed clusters (<c>compression_type</c>: zlib or zstd).</summary>
    public CompressionType CompressionType { get; set; } = CompressionType.Deflate;

    /// <summary>How much of the disk is allocated up front (<c>preallocation</c>).</summary>
    public QcowPreallocation Preallocation { get; set; } = QcowPreallocation.Off;

    /// <summary>Backing file name as stored in the header (<c>backing_file</c>); relative names resolve against the image's folder.</summary>
    public string? BackingFile { get; set; }

    /// <summary>Backing file format (<c>backing_fmt</c>): <c>qcow2</c> or <c>raw</c>. qemu-img requires it with a backing file.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>External data file name (<c>data_file</c>); the file is created (or truncated) next to the image.</summary>
    public string? DataFile { get; set; }

    /// <summary>The external data file is a valid raw image of the guest disk (<c>data_file_raw</c>).</summary>
    public bool DataFileRaw { get; set; }

    /// <summary>True when the options came with <c>backing_fmt</c> set; kept separate so that validation can tell it apart from a default.</summary>
    private bool HasBackingFormat => !string.IsNullOrEmpty(BackingFormat);

    /// <summary>The option names qemu knows for qcow2 that QcowKit does not implement (encryption and host file system flags).</summary>
    private static readonly string[] UnsupportedQemuOptions = ["encryption", "encrypt.format", "encrypt.key-secret", "encrypt.cipher-alg", "encrypt.cipher-mode",
        "encrypt.ivgen-alg", "encrypt.ivgen-hash-alg", "encrypt.hash-alg", "encrypt.iter-time", "nocow"];

    /// <summary>
    /// Parses a qemu option list (<c>-o key=value,...</c>; <c>,,</c> is a literal comma) and an optional
    /// positional size, as <c>qemu-img create</c> does. Later keys override earlier ones. Does not validate
    /// combinations: call <see cref="Validate"/> (Create does).
    /// </summary>
    /// <exception cref="QcowOptionsException">With qemu-img's message for a malformed list or value.</exception>
    public static QcowCreateOptions Parse(string? optionList, string? size = null)
    {
        var options = new QcowCreateOptions();
        if (optionList is not null) options.Apply(optionList);
        if (!string.IsNullOrEmpty(size))
        {
            options.SetPositionalSize(QemuSize.ParseImageSize(size));
        }
        return options;
    }

    /// <summary>The compat value as it was spelled in <see cref="Set"/> (qemu echoes the spelling: v3, 1.1 ...).</summary>
    private string? _compatAsGiven;

    /// <summary>Sets the size given apart from the option list (qemu-img create's positional SIZE).</summary>
    /// <param name="size">The size in bytes.</param>
    /// <exception cref="QcowOptionsException">The option list set a size too (qemu-img's message).</exception>
    public void SetPositionalSize(long size)
    {
        if (Size is not null) throw new QcowOptionsException("The image size must be specified only once");
        Size = size;
    }

    /// <summary>
    /// qemu-img create's <c>Formatting 'IMAGE', fmt=qcow2 ...</c> line for these options, fields in qemu's order; compat
    /// appears as it was spelled in the option list, and only when it was given there.
    /// </summary>
    /// <param name="path">The image name as the user gave it.</param>
    /// <returns>The line, without a line break.</returns>
    public string QemuFormattingLine(string path)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var line = new System.Text.StringBuilder();
        line.Append(inv, $"Formatting '{path}', fmt=qcow2 cluster_size={ClusterSize} extended_l2={OnOff(ExtendedL2)}");
        if (Preallocation != QcowPreallocation.Off) line.Append(inv, $" preallocation={QemuNames.Name(Preallocation)}");
        line.Append(inv, $" compression_type={QemuNames.Name(CompressionType)} size={Size}");
        if (_compatAsGiven is not null && QemuNames.TryParseCompat(_compatAsGiven, out var given) && given == Compat) line.Append(inv, $" compat={_compatAsGiven}");
        if (BackingFile is not null) line.Append(inv, $" backing_file={BackingFile}");
        if (BackingFormat is not null) line.Append(inv, $" backing_fmt={BackingFormat}");
        if (DataFile is not null) line.Append(inv, $" data_file={DataFile}");
        if (DataFileRaw) line.Append(" data_file_raw=on");
        line.Append(inv, $" lazy_refcounts={OnOff(LazyRefcounts)} refcount_bits={RefcountBits}");
        return line.ToString();

        static string OnOff(bool value) => value ? "on" : "off";
    }

    /// <summary>
    /// The size of a raw image to create from qemu-img create's option list and positional size: raw takes one option,
    /// <c>size</c>, with qcow2's parsing and qemu's messages.
    /// </summary>
    /// <param name="optionList">The <c>-o</c> list, or null.</param>
    /// <param name="positionalSize">The positional SIZE, or null.</param>
    /// <returns>The size in bytes.</returns>
    /// <exception cref="QcowOptionsException">Another option, a size given twice or not at all.</exception>
    public static long RawImageSize(string? optionList, long? positionalSize)
    {
        var sizeOption = new QcowCreateOptions();
        foreach (var (key, value) in optionList is null ? [] : QemuOptionList.Parse(optionList))
        {
            if (key != "size") throw new QcowOptionsException($"Invalid parameter '{key}'");
            sizeOption.Set(key, value);
        }
        if (positionalSize is { } size) sizeOption.SetPositionalSize(size);
        return sizeOption.Size ?? throw new QcowOptionsException("Image creation needs a size parameter");
    }

    /// <summary>Applies a qemu option list on top of the current values.</summary>
    /// <exception cref="QcowOptionsException">With qemu-img's message for a malformed list or value.</exception>
    public void Apply(string optionList)
    {
        ArgumentNullException.ThrowIfNull(optionList);
        foreach (var (key, value) in QemuOptionList.Parse(optionList))
        {
            Set(key, value);
        }
    }

    /// <summary>Sets one option by its qemu name.</summary>
    /// <exception cref="QcowOptionsException">With qemu-img's message for an unknown name or a bad value.</exception>
    public void Set(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        switch (key)
        {
            case "size":
                if (!QemuSize.TryParse(value, out var size)) throw SizeParameterError("size");
                if (size > long.MaxValue) throw new QcowOptionsException(QemuSize.SizeRangeMessage);
                Size = (long)size;
                break;
            case "compat":
                Compat = QemuNames.ParseCompat(value);
                _compatAsGiven = value;
                break;
            case "cluster_size":
                if (!QemuSize.TryParse(value, out var clusterSize)) throw SizeParameterError("cluster_size");
                // Anything above int.MaxValue is refused by Validate as qemu refuses it (not a power of two up to 2M).
                ClusterSize = clusterSize > int.MaxValue ? int.MaxValue : (int)clusterSize;
                break;
            case "refcount_bits":
                if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bits)) throw new QcowOptionsException("Parameter 'refcount_bits' expects a number");
                RefcountBits = bits > int.MaxValue ? int.MaxValue : (int)bits;
                break;
            case "extended_l2":
                ExtendedL2 = ParseBool(key, value);
                break;
            case "lazy_refcounts":
                LazyRefcounts = ParseBool(key, value);
                break;
            case "compression_type":
                CompressionType = QemuNames.ParseCompressionType(value);
                break;
            case "preallocation":
                Preallocation = QemuNames.ParsePreallocation(value);
                break;
            case "backing_file":
                BackingFile = value;
                break;
            case "backing_fmt":
                BackingFormat = value;
                break;
            case "data_file":
                DataFile = value;
                break;
            case "data_file_raw":
                DataFileRaw = ParseBool(key, value);
                break;
            default:
                if (UnsupportedQemuOptions.Contains(key, StringComparer.Ordinal))
                {
                    throw new QcowOptionsException($"Parameter '{key}' is a qemu option that QcowKit does not support");
                }
                throw new QcowOptionsException($"Invalid parameter '{key}'");
        }
    }

    /// <summary>
    /// Refuses the combinations qemu refuses, in qemu's order and with qemu's messages. Does not look at
    /// the backing file (Create does, when it needs its size).
    /// </summary>
    /// <exception cref="QcowOptionsException">The first rule the options break.</exception>
    public void Validate()
    {
        var v3 = Compat == QcowCompat.V3;
        if (ExtendedL2 && !v3)
        {
            throw new QcowOptionsException("Extended L2 entries are only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        }
        if (ClusterSize < MinClusterSize || ClusterSize > MaxClusterSize || !BitOperations.IsPow2(ClusterSize))
        {
            throw new QcowOptionsException("Cluster size must be a power of two between 512 and 2048k");
        }
        if (ExtendedL2 && ClusterSize < MinExtendedL2ClusterSize)
        {
            throw new QcowOptionsException($"Extended L2 entries are only supported with cluster sizes of at least {MinExtendedL2ClusterSize} bytes");
        }
        if (BackingFile is not null && Preallocation != QcowPreallocation.Off && !ExtendedL2)
        {
            throw new QcowOptionsException("Backing file and preallocation can only be used at the same time if extended_l2 is on");
        }
        if (HasBackingFormat && BackingFile is null)
        {
            throw new QcowOptionsException("Backing format cannot be used without backing file");
        }
        if (LazyRefcounts && !v3)
        {
            throw new QcowOptionsException("Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        }
        if (RefcountBits < 1 || RefcountBits > 64 || !BitOperations.IsPow2(RefcountBits))
        {
            throw new QcowOptionsException("Refcount width must be a power of two and may not exceed 64 bits");
        }
        if (RefcountBits != 16 && !v3)
        {
            throw new QcowOptionsException("Different refcount widths than 16 bits require compatibility level 1.1 or above (use version=v3 or greater)");
        }
        if (DataFileRaw && DataFile is null)
        {
            throw new QcowOptionsException("data-file-raw requires data-file");
        }
        if (DataFileRaw && BackingFile is not null)
        {
            throw new QcowOptionsException("Backing file and data-file-raw cannot be used at the same time");
        }
        if (DataFile is not null && !v3)
        {
            throw new QcowOptionsException("External data files are only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        }
        if (CompressionType != CompressionType.Deflate && !v3)
        {
            throw new QcowOptionsException("Non-zlib compression type is only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        }
        if (BackingFile is not null && !HasBackingFormat)
        {
            throw new QcowOptionsException("Backing file specified without backing format");
        }
        if (HasBackingFormat) QemuNames.ParseDriver(BackingFormat!);
        if (Size is { } size)
        {
            if (size < 0) throw new QcowOptionsException(QemuSize.SizeRangeMessage);
            var rounded = RoundedSize(size);
            if (L1Entries(rounded) > MaxL1TableBytes / 8)
            {
                throw new QcowOptionsException("The image size is too large for file format 'qcow2' (try using a larger cluster size)");
            }
        }
    }

    /// <summary>The virtual size rounded up to whole 512-byte sectors, as qemu-img stores it.</summary>
    internal static long RoundedSize(long size) => size > long.MaxValue - 511 ? long.MaxValue & ~511L : (size + 511) & ~511L;

    /// <summary>How many L1 entries a disk of <paramref name="size"/> bytes needs with these options.</summary>
    internal long L1Entries(long size)
    {
        var l2Entries = ClusterSize / (ExtendedL2 ? 16 : 8);
        var bytesPerL2 = (UInt128)(ulong)ClusterSize * (ulong)l2Entries;
        return (long)(((UInt128)(ulong)size + bytesPerL2 - 1) / bytesPerL2);
    }

    /// <summary>A copy, so that Create can fill in derived values without changing the caller's object.</summary>
    internal QcowCreateOptions Clone() => (QcowCreateOptions)MemberwiseClone();

    /// <summary>A copy of these options with a qemu option list applied over them (as qemu-img applies <c>-o</c>); these stay as they are.</summary>
    /// <param name="optionList">The list, or null for a plain copy.</param>
    /// <returns>The new options.</returns>
    /// <exception cref="QcowOptionsException">With qemu-img's message for a malformed list or value.</exception>
    public QcowCreateOptions WithOptionList(string? optionList)
    {
        var copy = Clone();
        if (optionList is not null) copy.Apply(optionList);
        return copy;
    }

    internal static QcowOptionsException SizeParameterError(string name) => new(
        $"Parameter '{name}' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.");

    /// <summary>qemu's boolean option values, with its message for anything else (create and amend share it).</summary>
    internal static bool ParseBool(string key, string value) => value switch
    {
        "on" or "yes" or "true" or "y" => true,
        "off" or "no" or "false" or "n" => false,
        _ => throw new QcowOptionsException($"Parameter '{key}' expects 'on' or 'off'"),
    };
}
