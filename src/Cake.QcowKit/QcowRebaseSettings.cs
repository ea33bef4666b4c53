using QcowKit;
namespace Cake.QcowKit;

/// <summary>How <see cref="QcowAliases.QcowRebase(Cake.Core.ICakeContext, Cake.Core.IO.FilePath, string, QcowRebaseSettings?)"/> rebases: qemu-img rebase's <c>-F</c>, <c>-u</c>, <c>-f</c> and <c>-U</c>.</summary>
public sealed class QcowRebaseSettings
{
    /// <summary>The new backing file's format (<c>-F</c>), <c>qcow2</c> by default; required by qemu-img 7.2 with a backing file.</summary>
    public string BackingFormat { get; set; } = "qcow2";

    /// <summary>qemu-img's <c>-u</c>: only rename the backing file, copying nothing.</summary>
    public bool Unsafe { get; set; }

    /// <summary>The image's format (<c>-f</c>); probed when null.</summary>
    public QcowImageFormat? ImageFormat { get; set; }

    /// <summary>qemu-img's <c>-U</c> for the new backing file.</summary>
    public bool ForceShare { get; set; }

    /// <summary>Sets <see cref="BackingFormat"/>.</summary>
    public QcowRebaseSettings WithBackingFormat(string format)
    {
        BackingFormat = format;
        return this;
    }

    /// <summary>Sets <see cref="Unsafe"/>.</summary>
    public QcowRebaseSettings WithUnsafe(bool unsafeMode = true)
    {
        Unsafe = unsafeMode;
        return this;
    }

    /// <summary>Sets <see cref="ImageFormat"/>.</summary>
    public QcowRebaseSettings WithImageFormat(QcowImageFormat format)
    {
        ImageFormat = format;
        return this;
    }

    /// <summary>Sets <see cref="ForceShare"/>.</summary>
    public QcowRebaseSettings WithForceShare(bool forceShare = true)
    {
        ForceShare = forceShare;
        return this;
    }
}
