using System.CommandLine;
using System.Globalization;
using System.Text;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;

namespace QcowKit.Cli.Commands;

/// <summary><c>qcowkit map</c>: qemu-img map, the same entries merged the same way.</summary>
internal static class MapCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var forceShare = CommonOptions.ForceShare();
        var image = new Argument<string>("IMAGE") { Description = "The image file" };
        var command = new Command("map", "Show where each guest range of an image (and its backing chain) is stored");
        command.Options.Add(output);
        command.Options.Add(format);
        command.Options.Add(forceShare);
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            using var disk = ImageOpener.Open(path, context.GetValue(format));
            var text = new StringBuilder();
            var ok = context.GetValue(output) == OutputFormat.Json ? WriteJson(disk, text) : WriteHuman(disk, text);
            context.Out.Write(text.ToString());
            if (!ok)
            {
                throw new CliException(path, "File contains external, encrypted or compressed clusters.");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The merged entries (img_map's loop with entry_mergeable).</summary>
    public static IEnumerable<BlockStatus> Entries(DiskImage disk, Func<BlockStatus, BlockStatus, BlockStatus>? adjustNext = null)
    {
        ArgumentNullException.ThrowIfNull(disk);
        var length = disk.VirtualSize;
        BlockStatus? current = null;
        long start = 0;
        long position = 0;
        while (position < length)
        {
            var next = disk.GetBlockStatus(position, length - position);
            var nextStart = position;
            position += next.Length;
            if (current is { } entry)
            {
                if (Mergeable(start, entry, nextStart, next))
                {
                    current = entry with { Length = entry.Length + next.Length };
                    continue;
                }
                yield return entry;
                if (adjustNext is not null) next = adjustNext(entry, next);
            }
            current = next;
            start = nextStart;
        }
        if (current is { } last)
        {
            yield return last;
        }
    }

    private static bool Mergeable(long start, BlockStatus current, long nextStart, BlockStatus next) =>
        current.Length != 0
        && start + current.Length == nextStart
        && current.Zero == next.Zero
        && current.Data == next.Data
        && current.Depth == next.Depth
        && current.Present == next.Present
        && current.Offset.HasValue == next.Offset.HasValue
        && (!current.Offset.HasValue || current.Offset + current.Length == next.Offset)
        && string.Equals(current.File, next.File, StringComparison.Ordinal);

    /// <summary>qemu-img map --output=json.</summary>
    public static bool WriteJson(DiskImage disk, StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append('[');
        long start = 0;
        var first = true;
        foreach (var entry in Entries(disk))
        {
            if (!first) text.Append(",\n");
            first = false;
            text.Append(CultureInfo.InvariantCulture,
                $"{{ \"start\": {start}, \"length\": {entry.Length}, \"depth\": {entry.Depth}, \"present\": {Bool(entry.Present)}, \"zero\": {Bool(entry.Zero)}, \"data\": {Bool(entry.Data)}");
            if (entry.Offset is { } offset)
            {
                text.Append(CultureInfo.InvariantCulture, $", \"offset\": {offset}");
            }
            text.Append('}');
            start += entry.Length;
        }
        text.Append("]\n");
        return true;
    }

    /// <summary>
    /// qemu-img map's human table: only ranges with data, and a range with data but no plain offset
    /// (compressed) stops the listing with an error, as in qemu.
    /// </summary>
    public static bool WriteHuman(DiskImage disk, StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture, $"{"Offset",-16}{"Length",-16}{"Mapped to",-16}File\n");
        long start = 0;
        // The human format does not tell zero from unallocated; qemu folds them to merge more.
        foreach (var entry in Entries(disk, (_, next) => !next.Data || next.Zero ? next with { Data = false, Zero = true } : next))
        {
            if (entry.Data && entry.Offset is null)
            {
                return false;
            }
            if (entry.Data && !entry.Zero)
            {
                text.Append(CultureInfo.InvariantCulture, $"{Hex(start),-16}{Hex(entry.Length),-16}{Hex(entry.Offset ?? 0),-16}{entry.File}\n");
            }
            start += entry.Length;
        }
        return true;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>printf's "%#x": no 0x prefix for zero.</summary>
    private static string Hex(long value) => value == 0 ? "0" : "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
