using System.Text.Json.Nodes;
using QcowKit.Image;

namespace QcowKit.Cli.Images;

/// <summary>
/// qemu's ImageInfo as JSON. Members are added in QAPI schema order, which decides the output order
/// of keys that share a QDict bucket (see <see cref="QcowKit.Json.QemuJson"/>); which members appear
/// follows qemu 7.2's bdrv_query_image_info and qcow2_get_specific_info.
/// </summary>
internal static class ImageInfoJson
{
    /// <summary>The info of an open image.</summary>
    public static JsonObject Describe(IVirtualDisk disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        return disk switch
        {
            QcowImage qcow => Describe(qcow.GetInfo()),
            _ => DescribePlain(disk),
        };
    }

    private static JsonObject DescribePlain(IVirtualDisk disk)
    {
        var info = new JsonObject
        {
            ["filename"] = disk.FileName,
            ["format"] = disk.FormatName,
            ["dirty-flag"] = false,
        };
        if (HostFile.AllocatedSize(disk.FileName) is { } allocated)
        {
            info["actual-size"] = allocated;
        }
        info["virtual-size"] = disk.VirtualSize;
        return info;
    }

    /// <summary>The info of a qcow2 image.</summary>
    public static JsonObject Describe(QcowImageInfo qcow)
    {
        ArgumentNullException.ThrowIfNull(qcow);
        var info = new JsonObject
        {
            ["filename"] = qcow.FileName,
            ["format"] = QemuNames.Name(qcow.Format),
            ["dirty-flag"] = qcow.DirtyFlag,
        };
        if (qcow.ActualSize is { } actual)
        {
            info["actual-size"] = actual;
        }
        info["virtual-size"] = qcow.VirtualSize;
        info["cluster-size"] = qcow.ClusterSize;
        if (qcow.BackingFileName is { } backing)
        {
            info["backing-filename"] = backing;
            if (qcow.FullBackingFileName is { } full)
            {
                info["full-backing-filename"] = full;
            }
            if (qcow.BackingFileFormat is { Length: > 0 } backingFormat)
            {
                info["backing-filename-format"] = backingFormat;
            }
        }
        if (qcow.Snapshots.Count > 0)
        {
            info["snapshots"] = new JsonArray([.. qcow.Snapshots.Select(Snapshot)]);
        }
        info["format-specific"] = new JsonObject
        {
            ["type"] = "qcow2",
            ["data"] = FormatSpecific(qcow),
        };
        return info;
    }

    private static JsonObject FormatSpecific(QcowImageInfo qcow)
    {
        var data = new JsonObject { ["compat"] = QemuNames.Name(qcow.Compat) };
        if (qcow.Version >= 3)
        {
            if (qcow.DataFile is { } dataFile)
            {
                data["data-file"] = dataFile;
            }
            if (qcow.HasExternalDataFile)
            {
                data["data-file-raw"] = qcow.DataFileRaw;
            }
            data["extended-l2"] = qcow.ExtendedL2;
            data["lazy-refcounts"] = qcow.LazyRefcounts;
            data["corrupt"] = qcow.Corrupt;
        }
        data["refcount-bits"] = qcow.RefcountBits;
        if (qcow.Version >= 3 && qcow.Bitmaps.Count > 0)
        {
            data["bitmaps"] = new JsonArray([.. qcow.Bitmaps.Select(Bitmap)]);
        }
        data["compression-type"] = QemuNames.Name(qcow.CompressionType);
        return data;
    }

    private static JsonObject Snapshot(QcowSnapshotInfo snapshot)
    {
        var node = new JsonObject
        {
            ["id"] = snapshot.Id,
            ["name"] = snapshot.Name,
            ["vm-state-size"] = (long)snapshot.VmStateSize,
            ["date-sec"] = (long)snapshot.DateSeconds,
            ["date-nsec"] = (long)snapshot.DateNanoseconds,
            ["vm-clock-sec"] = (long)(snapshot.VmClockNanoseconds / 1_000_000_000),
            ["vm-clock-nsec"] = (long)(snapshot.VmClockNanoseconds % 1_000_000_000),
        };
        if (snapshot.Icount is { } icount and not -1)
        {
            node["icount"] = icount;
        }
        return node;
    }

    private static JsonObject Bitmap(QcowBitmapInfo bitmap) => new()
    {
        ["name"] = bitmap.Name,
        ["granularity"] = bitmap.Granularity,
        ["flags"] = new JsonArray([.. bitmap.Flags.Select(flag => (JsonNode)flag)]),
    };
}
