using System.CommandLine;
using System.Globalization;
using System.Text;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary><c>qcowkit snapshot [-l | -c NAME | -a NAME | -d NAME] IMAGE</c>, as qemu-img snapshot (-l prints qemu's table).</summary>
internal static class SnapshotCommand
{
    public static Command Create()
    {
        var list = new Option<bool>("-l") { Description = "List the snapshots (the default)" };
        var create = new Option<string?>("-c") { Description = "Create a snapshot named NAME", HelpName = "NAME" };
        var apply = new Option<string?>("-a") { Description = "Revert the disk to snapshot NAME (an id first, then a name)", HelpName = "NAME" };
        var delete = new Option<string?>("-d") { Description = "Delete the first snapshot named NAME", HelpName = "NAME" };
        var quiet = CommonOptions.Quiet();
        var forceShare = CommonOptions.ForceShare();
        var image = new Argument<string>("IMAGE") { Description = "qcow2 image" };
        var command = new Command("snapshot", "List, create, apply or delete internal snapshots");
        command.Options.Add(list);
        command.Options.Add(create);
        command.Options.Add(apply);
        command.Options.Add(delete);
        command.Options.Add(quiet);
        command.Options.Add(forceShare);
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            var createName = context.GetValue(create);
            var applyName = context.GetValue(apply);
            var deleteName = context.GetValue(delete);
            var chosen = (context.GetValue(list) ? 1 : 0) + (createName is null ? 0 : 1) + (applyName is null ? 0 : 1) + (deleteName is null ? 0 : 1);
            if (chosen > 1)
            {
                throw new CliException(null, "Cannot mix '-l', '-a', '-c', '-d'");
            }
            if (context.GetValue(forceShare) && (createName ?? applyName ?? deleteName) is not null)
            {
                throw CommonOptions.ForceShareWithWrite(path);
            }
            var actual = VirtualDisk.Probe(path);
            if (actual == "raw")
            {
                return RawSnapshot(createName, applyName, deleteName);
            }
            if (actual != "qcow2")
            {
                throw new CliException(path, $"qcowkit manages snapshots of qcow2 images only (this one is {actual})");
            }
            try
            {
                if (createName is null && applyName is null && deleteName is null)
                {
                    using var readOnly = QcowImage.Open(path, new QcowOpenOptions { ForceShare = context.GetValue(forceShare) });
                    context.Out.Write(FormatList(readOnly.Snapshots));
                    return 0;
                }
                using var qcow = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite });
                var (verb, name) = createName is not null ? ("create", createName) : applyName is not null ? ("apply", applyName) : ("delete", deleteName!);
                try
                {
                    switch (verb)
                    {
                        case "create":
                            qcow.CreateSnapshot(name, cancellationToken: context.CancellationToken);
                            break;
                        case "apply":
                            qcow.ApplySnapshot(name, context.CancellationToken);
                            break;
                        default:
                            qcow.DeleteSnapshot(name, context.CancellationToken);
                            break;
                    }
                }
                catch (InvalidOperationException ex)
                {
                    throw new CliException(null, $"Could not {verb} snapshot '{name}': {CommandActions.OneLine(ex.Message)}", 1, ex);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(path, ImageOpener.Describe(ex), 1, ex);
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// A raw image has no snapshots: qemu-img lists none (exit 0) and refuses the rest, each verb with
    /// its own message from qemu 7.2's block/snapshot.c.
    /// </summary>
    private static int RawSnapshot(string? createName, string? applyName, string? deleteName)
    {
        if (createName is not null)
        {
            throw new CliException(null, $"Could not create snapshot '{createName}': -95 (Operation not supported)");
        }
        if (applyName is not null)
        {
            throw new CliException(null, $"Could not apply snapshot '{applyName}': Block driver does not support snapshots");
        }
        if (deleteName is not null)
        {
            throw new CliException(null, $"Could not delete snapshot '{deleteName}': snapshot not found");
        }
        return 0;
    }

    /// <summary>qemu's bdrv_snapshot_dump table: nothing without snapshots; dates in local time like qemu's localtime_r.</summary>
    internal static string FormatList(IReadOnlyList<QcowSnapshotInfo> snapshots)
    {
        if (snapshots.Count == 0)
        {
            return string.Empty;
        }
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.Append("Snapshot list:\n");
        text.Append(c, $"{"ID",-10}{"TAG",-17}{"VM SIZE",8}{"DATE",20}{"VM CLOCK",13}{"ICOUNT",11}\n");
        foreach (var s in snapshots)
        {
            var date = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(s.DateSeconds), TimeZoneInfo.Local)
                .ToString("yyyy-MM-dd HH:mm:ss", c);
            var secs = s.VmClockNanoseconds / 1_000_000_000;
            var clock = string.Create(c, $"{secs / 3600:00}:{secs / 60 % 60:00}:{secs % 60:00}.{s.VmClockNanoseconds / 1_000_000 % 1000:000}");
            var icount = s.Icount is { } n ? n.ToString(c) : string.Empty;
            text.Append(c, $"{s.Id,-9} {s.Name,-16} {SizeToString(s.VmStateSize),8}{date,20}{clock,13}{icount,11}\n");
        }
        return text.ToString();
    }

    /// <summary>qemu's size_to_str: three significant digits and a binary suffix.</summary>
    internal static string SizeToString(ulong value)
    {
        string[] suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        var exponent = value == 0 ? 0 : (int)Math.Floor(Math.Log2(value / (1000.0 / 1024.0))) + 1;
        var i = Math.Max(0, (exponent - 1) / 10);
        var scaled = value / (double)(1UL << (i * 10));
        return scaled.ToString("G3", CultureInfo.InvariantCulture) + " " + suffixes[i] + "B";
    }
}
