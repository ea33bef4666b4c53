using Cake.Core.IO;

namespace Cake.QcowKit;

/// <summary>
/// What <see cref="QcowAliases.QcowValidate(Cake.Core.ICakeContext, FilePath, QcowValidateSettings?)"/>
/// accepts. By default an image passes when the check completes with no error finding and the
/// image is not dirty; leaks are logged as warnings.
/// </summary>
public sealed class QcowValidateSettings
{
    /// <summary>Fail on leaked clusters too (<c>qemu-img check</c> exit code 3), not only on corruptions.</summary>
    public bool LeaksAsErrors { get; set; }

    /// <summary>Accept an image whose dirty bit is set (finding QCOW0800), e.g. one left by a VM using lazy refcounts.</summary>
    public bool AllowDirty { get; set; }

    /// <summary>Finding codes (<c>QCOW0xxx</c>) that never fail the validation; they are still logged.</summary>
    public ISet<string> AllowedFindings { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Also inflate every compressed cluster and check what qemu-img check skips.</summary>
    public bool Deep { get; set; }

    /// <summary>
    /// Treat the image as hostile: open no other file, and report backing files, external data
    /// files, protocol names, unknown features and an oversized disk as errors.
    /// </summary>
    public bool Untrusted { get; set; }

    /// <summary>With <see cref="Untrusted"/>: folders a backing or data file may live in.</summary>
    public IList<DirectoryPath> AllowedDirectories { get; } = [];

    /// <summary>With <see cref="Untrusted"/>: the largest virtual size accepted; null for the engine's default (2 TiB).</summary>
    public long? MaxVirtualSize { get; set; }

    /// <summary>
    /// qemu-img check's <c>-U</c> (force-share): check the image even while another process writes it, and keep
    /// nobody from writing it meanwhile. Without it such an image is refused with qemu's <c>Failed to get shared "write" lock</c>.
    /// </summary>
    public bool ForceShare { get; set; }

    /// <summary>Sets <see cref="LeaksAsErrors"/>.</summary>
    public QcowValidateSettings WithLeaksAsErrors(bool leaksAsErrors = true)
    {
        LeaksAsErrors = leaksAsErrors;
        return this;
    }

    /// <summary>Sets <see cref="AllowDirty"/>.</summary>
    public QcowValidateSettings WithAllowDirty(bool allowDirty = true)
    {
        AllowDirty = allowDirty;
        return this;
    }

    /// <summary>Adds codes to <see cref="AllowedFindings"/>.</summary>
    public QcowValidateSettings WithAllowedFindings(params string[] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        foreach (var code in codes)
        {
            AllowedFindings.Add(code);
        }
        return this;
    }

    /// <summary>Sets <see cref="Deep"/>.</summary>
    public QcowValidateSettings WithDeep(bool deep = true)
    {
        Deep = deep;
        return this;
    }

    /// <summary>Sets <see cref="Untrusted"/>.</summary>
    public QcowValidateSettings WithUntrusted(bool untrusted = true)
    {
        Untrusted = untrusted;
        return this;
    }

    /// <summary>Adds a folder to <see cref="AllowedDirectories"/>.</summary>
    public QcowValidateSettings WithAllowedDirectory(DirectoryPath directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        AllowedDirectories.Add(directory);
        return this;
    }

    /// <summary>Sets <see cref="MaxVirtualSize"/>.</summary>
    public QcowValidateSettings WithMaxVirtualSize(long bytes)
    {
        MaxVirtualSize = bytes;
        return this;
    }

    /// <summary>Sets <see cref="ForceShare"/>.</summary>
    public QcowValidateSettings WithForceShare(bool forceShare = true)
    {
        ForceShare = forceShare;
        return this;
    }
}
