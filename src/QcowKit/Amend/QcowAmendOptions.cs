using System.Globalization;
using System.Numerics;

namespace QcowKit;

/// <summary>
/// What <c>qemu-img amend -f qcow2 -o ...</c> (qemu 7.2) may change on an existing image, with qemu's option
/// names. Only the options that are set (not null) are changed. Build one in code or with
/// <see cref="Parse(string)"/>; create-only options are refused with qemu's message.
/// </summary>
public sealed class QcowAmendOptions
{
    /// <summary>The create options qemu-img refuses to amend ("This option is only supported for image creation").</summary>
    private static readonly string[] CreateOnlyOptions = ["cluster_size", "extended_l2", "preallocation", "compression_type", "encryption",
        "encrypt.format", "encrypt.key-secret", "encrypt.cipher-alg", "encrypt.cipher-mode", "encrypt.ivgen-alg", "encrypt.ivgen-hash-alg",
        "encrypt.hash-alg", "nocow"];

    /// <summary>qemu's LUKS amend options; QcowKit cannot open encrypted images, so these always fail.</summary>
    private static readonly string[] EncryptionAmendOptions = ["encrypt.state", "encrypt.keyslot", "encrypt.old-secret", "encrypt.new-secret", "encrypt.iter-time"];

    /// <summary>New header version (<c>compat</c>): upgrade 0.10 to 1.1, or downgrade 1.1 to 0.10.</summary>
    public QcowCompat? Compat { get; set; }

    /// <summary>Lazy refcounts on or off (<c>lazy_refcounts</c>; on needs compat 1.1).</summary>
    public bool? LazyRefcounts { get; set; }

    /// <summary>New refcount width in bits (<c>refcount_bits</c>): a power of two from 1 to 64.</summary>
    public int? RefcountBits { get; set; }

    /// <summary>
    /// <c>backing_file</c>: qemu 7.2 accepts it only when it (with <see cref="BackingFormat"/>) names the current
    /// backing file and format; anything else is refused ("Cannot amend the backing file", use rebase).
    /// </summary>
    public string? BackingFile { get; set; }

    /// <summary><c>backing_fmt</c>: as <see cref="BackingFile"/>, only the current value is accepted.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>New external data file name (<c>data_file</c>); only for images that already have one. Empty removes the name.</summary>
    public string? DataFile { get; set; }

    /// <summary><c>data_file_raw</c>: may be switched off, or kept on where it is already on.</summary>
    public bool? DataFileRaw { get; set; }

    /// <summary>New virtual size in bytes (<c>size</c>); 0 or null leaves the size alone, as in qemu.</summary>
    public long? Size { get; set; }

    /// <summary>True when no option is set.</summary>
    public bool IsEmpty => Compat is null && LazyRefcounts is null && RefcountBits is null && BackingFile is null && BackingFormat is null
        && DataFile is null && DataFileRaw is null && Size is null;

    /// <summary>
    /// Parses a qemu option list (<c>key=value,...</c>; <c>,,</c> is a literal comma), as <c>qemu-img amend -o</c> does.
    /// </summary>
    /// <exception cref="QcowOptionsException">With qemu-img's message for a malformed list, an unknown or create-only option, or a bad value.</exception>
    public static QcowAmendOptions Parse(string optionList)
    {
        ArgumentNullException.ThrowIfNull(optionList);
        var options = new QcowAmendOptions();
        foreach (var (key, value) in QemuOptionList.Parse(optionList))
        {
            options.Set(key, value);
        }
        return options;
    }

    /// <summary>Sets one option by its qemu name.</summary>
    /// <exception cref="QcowOptionsException">With qemu-img's message for an unknown or create-only option or a bad value.</exception>
    public void Set(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        switch (key)
        {
            case "compat":
                // amend has its own message for the same names.
                Compat = QemuNames.TryParseCompat(value, out var compat) ? compat : throw new QcowOptionsException($"Unknown compatibility level {value}");
                break;
            case "lazy_refcounts":
                LazyRefcounts = QcowCreateOptions.ParseBool(key, value);
                break;
            case "refcount_bits":
                if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bits))
                {
                    throw new QcowOptionsException("Parameter 'refcount_bits' expects a number");
                }
                if (bits is 0 or > 64 || !BitOperations.IsPow2(bits))
                {
                    throw new QcowOptionsException("Refcount width must be a power of two and may not exceed 64 bits");
                }
                RefcountBits = (int)bits;
                break;
            case "size":
                // The create parser gives qemu's messages for malformed sizes.
                var parsed = new QcowCreateOptions();
                parsed.Set(key, value);
                Size = parsed.Size;
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
                DataFileRaw = QcowCreateOptions.ParseBool(key, value);
                break;
            default:
                if (CreateOnlyOptions.Contains(key, StringComparer.Ordinal))
                {
                    throw new QcowOptionsException($"Invalid parameter '{key}'\nThis option is only supported for image creation");
                }
                if (EncryptionAmendOptions.Contains(key, StringComparer.Ordinal))
                {
                    throw new QcowOptionsException("Can't amend encryption options - encryption not present");
                }
                throw new QcowOptionsException($"Invalid parameter '{key}'");
        }
    }
}
