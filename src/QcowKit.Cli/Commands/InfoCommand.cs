using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Json;

namespace QcowKit.Cli.Commands;

/// <summary><c>qcowkit info</c>: qemu-img info, same JSON keys and values, same human layout.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Output();
        var backingChain = new Option<bool>("--backing-chain") { Description = "Show every image of the backing chain" };
        var format = CommonOptions.Format();
        var forceShare = CommonOptions.ForceShare();
        var image = new Argument<string>("IMAGE") { Description = "The image file" };
        var command = new Command("info", "Show an image's size, format, backing file, snapshots and format-specific information");
        command.Options.Add(output);
        command.Options.Add(backingChain);
        command.Options.Add(format);
        command.Options.Add(forceShare);
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var infos = Collect(context.GetValue(image), context.GetValue(format), context.GetValue(backingChain), context.GetValue(forceShare));
            context.Out.Write(context.GetValue(output) == OutputFormat.Json ? Json(infos, context.GetValue(backingChain)) : Human(infos));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The image's info and, with the chain, every backing file's, top first. Like qemu-img, each
    /// backing file is opened by its full-backing-filename in its backing-filename-format (probed
    /// when there is none).
    /// </summary>
    public static IReadOnlyList<JsonObject> Collect(string path, string? format, bool backingChain, bool forceShare = false)
    {
        var infos = new List<JsonObject>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        (string Path, string? Format)? next = (path, format);
        while (next is { } current)
        {
            if (!seen.Add(Path.GetFullPath(current.Path)))
            {
                throw new CliException(path, $"backing chain loops back to {current.Path}");
            }
            JsonObject info;
            using (var image = ImageOpener.Open(current.Path, current.Format, metadataOnly: true, forceShare: forceShare))
            {
                info = ImageInfoJson.Describe(image);
            }
            infos.Add(info);
            next = backingChain && info["full-backing-filename"] is { } backing
                ? ((string)backing!, (string?)info["backing-filename-format"])
                : null;
        }
        return infos;
    }

    /// <summary>qemu-img info --output=json: one object, or an array with --backing-chain.</summary>
    public static string Json(IReadOnlyList<JsonObject> infos, bool backingChain)
    {
        ArgumentNullException.ThrowIfNull(infos);
        JsonNode node = backingChain ? new JsonArray([.. infos]) : infos[0];
        return QemuJson.Serialize(node) + "\n";
    }

    /// <summary>qemu-img info's human layout (bdrv_image_info_dump), images separated by a blank line.</summary>
    public static string Human(IReadOnlyList<JsonObject> infos)
    {
        ArgumentNullException.ThrowIfNull(infos);
        var builder = new StringBuilder();
        for (var i = 0; i < infos.Count; i++)
        {
            if (i > 0) builder.Append('\n');
            AppendHuman(builder, infos[i]);
        }
        return builder.ToString();
    }

    private static void AppendHuman(StringBuilder builder, JsonObject info)
    {
        var virtualSize = QemuHuman.Number(info["virtual-size"]);
        var diskSize = info["actual-size"] is { } actual ? QemuHuman.Size((ulong)QemuHuman.Number(actual)) : "unavailable";
        builder.Append("image: ").Append((string)info["filename"]!).Append('\n');
        builder.Append("file format: ").Append((string)info["format"]!).Append('\n');
        builder.Append("virtual size: ").Append(QemuHuman.Size((ulong)virtualSize)).Append(" (").Append(virtualSize).Append(" bytes)\n");
        builder.Append("disk size: ").Append(diskSize).Append('\n');
        if (info["encrypted"] is { } encrypted && (bool)encrypted)
        {
            builder.Append("encrypted: yes\n");
        }
        if (info["cluster-size"] is { } clusterSize)
        {
            builder.Append("cluster_size: ").Append(QemuHuman.Number(clusterSize)).Append('\n');
        }
        if (info["dirty-flag"] is { } dirty && (bool)dirty)
        {
            builder.Append("cleanly shut down: no\n");
        }
        if (info["backing-filename"] is { } backing)
        {
            var name = (string)backing!;
            builder.Append("backing file: ").Append(name);
            if (info["full-backing-filename"] is not { } full)
            {
                builder.Append(" (cannot determine actual path)");
            }
            else if ((string)full! != name)
            {
                builder.Append(" (actual path: ").Append((string)full!).Append(')');
            }
            builder.Append('\n');
            if (info["backing-filename-format"] is { } backingFormat)
            {
                builder.Append("backing file format: ").Append((string)backingFormat!).Append('\n');
            }
        }
        if (info["snapshots"] is JsonArray snapshots)
        {
            builder.Append("Snapshot list:\n").Append(QemuHuman.SnapshotHeader()).Append('\n');
            foreach (var snapshot in snapshots.OfType<JsonObject>())
            {
                var clock = (ulong)QemuHuman.Number(snapshot["vm-clock-sec"]) * 1_000_000_000UL + (ulong)QemuHuman.Number(snapshot["vm-clock-nsec"]);
                ulong? icount = snapshot["icount"] is { } count ? (ulong)QemuHuman.Number(count) : null;
                builder.Append(QemuHuman.SnapshotRow((string)snapshot["id"]!, (string)snapshot["name"]!,
                    (ulong)QemuHuman.Number(snapshot["vm-state-size"]), QemuHuman.Number(snapshot["date-sec"]), clock, icount)).Append('\n');
            }
        }
        if (info["format-specific"] is JsonObject specific)
        {
            builder.Append("Format specific information:\n");
            QemuHuman.AppendFormatSpecific(builder, specific["data"]);
        }
    }
}
