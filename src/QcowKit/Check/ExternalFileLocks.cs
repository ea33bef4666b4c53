using Microsoft.Win32.SafeHandles;
using QcowKit.Format;
using QcowKit.Image;
using QcowKit.Image.Locking;

namespace QcowKit.Check;

/// <summary>
/// The locks qemu-img check holds on the files an image names while it checks it: the backing file (read) and
/// the external data file (read, or write when repairing). The checker reads neither, but a check that qemu-img
/// would refuse because another process writes the backing file is refused here too.
/// </summary>
internal sealed class ExternalFileLocks : IDisposable
{
    private readonly List<SafeFileHandle> _handles = [];

    private ExternalFileLocks()
    {
    }

    /// <exception cref="QcowImageLockedException">Another process uses one of the files in a conflicting way.</exception>
    public static ExternalFileLocks Hold(string path, QcowHeader header, QcowCheckOptions options)
    {
        var locks = new ExternalFileLocks();
        try
        {
            if (header.BackingFile is { Length: > 0 } backing)
            {
                var name = QcowImage.CombineBackingName(path, backing);
                var qcow2 = (header.BackingFormat ?? VirtualDisk.Probe(name)) == "qcow2";
                var mode = qcow2 && !options.ForceShare ? ImageLockMode.Read : ImageLockMode.ReadShared;
                locks._handles.Add(LockedFile.Open(Path.GetFullPath(name), name, FileAccess.Read, mode));
            }
            if (header.HasExternalDataFile && header.ExternalDataFile is { Length: > 0 } data)
            {
                var repair = options.Repair != QcowRepairMode.None;
                var mode = repair ? ImageLockMode.DataFileWrite : options.ForceShare ? ImageLockMode.ReadShared : ImageLockMode.DataFileRead;
                locks._handles.Add(LockedFile.Open(Path.GetFullPath(data), data, repair ? FileAccess.ReadWrite : FileAccess.Read, mode));
            }
            return locks;
        }
        catch
        {
            locks.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var handle in _handles)
        {
            LockedFile.Close(handle);
        }
        _handles.Clear();
    }
}
