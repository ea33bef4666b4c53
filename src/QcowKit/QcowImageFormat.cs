namespace QcowKit;

/// <summary>The image formats QcowKit reads and writes, by qemu's driver names (<see cref="QemuNames"/> maps the names).</summary>
public enum QcowImageFormat
{
    /// <summary><c>qcow2</c>: a qcow2 image.</summary>
    Qcow2 = 0,

    /// <summary><c>raw</c>: the file is the guest disk.</summary>
    Raw = 1,
}
