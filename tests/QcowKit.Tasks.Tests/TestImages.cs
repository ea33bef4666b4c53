using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

/// <summary>qemu-made images for the task tests, with byte edits for the broken ones.</summary>
internal static class TestImages
{
    /// <summary>A 4 MiB image with 128 KiB of data written by qemu-io.</summary>
    public static string Clean(TempDirectory temp, string name = "clean.qcow2", string? options = null)
    {
        var path = temp.File(name);
        Qemu.CreateQcow2(path, "4M", options);
        Qemu.Io(path, "write -P 0x5a 0 128k");
        return path;
    }

    public static string Leaking(TempDirectory temp, string name = "leaky.qcow2")
    {
        var path = Clean(temp, name);
        QcowByteEdits.MakeLeak(path);
        return path;
    }

    public static string RefcountZero(TempDirectory temp, string name = "corrupt.qcow2")
    {
        var path = Clean(temp, name);
        QcowByteEdits.MakeRefcountZero(path);
        return path;
    }

    /// <summary>An encrypted qcow2 made by qemu-img.</summary>
    public static string Encrypted(TempDirectory temp, string name = "encrypted.qcow2")
    {
        var path = temp.File(name);
        Qemu.CreateEncrypted(path, "4M");
        return path;
    }

    /// <summary>A file that is not qcow2 at all (4 KiB of text, longer than any header).</summary>
    public static string NotQcow(TempDirectory temp, string name = "notes.qcow2")
    {
        var path = temp.File(name);
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("these are not the sectors you are looking for\n", 90)));
        return path;
    }

    /// <summary>Sets the dirty bit (incompatible_features bit 0) on a lazy-refcounts image, as a crash would leave it.</summary>
    public static string Dirty(TempDirectory temp, string name = "dirty.qcow2")
    {
        var path = Clean(temp, name, "lazy_refcounts=on");
        QcowByteEdits.Poke(path, 72, [0, 0, 0, 0, 0, 0, 0, 1]);
        return path;
    }

    public static ITaskItem Item(string path, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(path);
        foreach (var (name, value) in metadata)
        {
            item.SetMetadata(name, value);
        }
        return item;
    }
}
