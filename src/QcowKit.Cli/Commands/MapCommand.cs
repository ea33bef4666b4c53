using System.CommandLine;
using System.Globalization;
using System.Text;
using QcowKit.Cli.Images;
using QcowKit.Cli.Infrastructure;
using QcowKit.Image;

namespace QcowKit.Cli.Commands;

/// <summary><c>qcowkit map</c>: qemu-img map, the same entries merged the same way.</summary>
internal static class MapCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var forceShare = CommonOptions.ForceShare();
        var startOffset = new Option<string?>("--start-offset") { Description = "First guest byte to map (k, M, G, T, P, E suffixes)", HelpName = "OFFSET" };
        var maxLength = new Option<string?>("--max-length") { Description = "Map at most this many bytes (k, M, G, T, P, E suffixes)", HelpName = "LENGTH" };
        var image = new Argument<string>("IMAGE") { Description = "The image file" };
        var command = new Command("map", "Show where each guest range of an image (and its backing chain) is stored");
        command.Options.Add(output);
        command.Options.Add(format);
        command.Options.Add(forceShare);
        command.Options.Add(startOffset);
        command.Options.Add(maxLength);
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            long start;
            long? limit;
            try
            {
                start = context.GetValue(startOffset) is { } startText ? QemuSize.ParseByteCount(startText, "start offset") : 0;
                limit = context.GetValue(maxLength) is { } lengthText ? QemuSize.ParseByteCount(lengthText, "max length") : null;
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(null, ex.Message, 1, ex);
            }
            using var disk = ImageOpener.Open(path, context.GetValue(format), forceShare: context.GetValue(forceShare));
            var end = limit is { } max && max < disk.VirtualSize - start ? start + max : disk.VirtualSize;
            var range = new MapRange(start, end);
            bool complete;
            try
            {
                // Streamed range by range, as qemu-img prints them: memory does not grow with the number of ranges.
                complete = context.GetValue(output) == OutputFormat.Json ? WriteJson(disk, range, context.Out) : WriteHuman(disk, range, context.Out);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException)
            {
                context.Out.Flush();
                throw new CliException(path, ImageOpener.Describe(ex), 1, ex);
            }
            context.Out.Flush();
            if (!complete)
            {
                throw new CliException(path, "File contains external, encrypted or compressed clusters.");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The guest bytes [Start, End) a map covers; empty when Start is at or past End.</summary>
    public readonly record struct MapRange(long Start, long End);

    private static IEnumerable<AllocationRange> Entries(IVirtualDisk disk, MapRange range) =>
        range.Start < range.End ? disk.GetAllocationMap(range.Start, range.End - range.Start) : [];

    /// <summary>
    /// qemu-img map --output=json over a range (qemu 7.2 has no "compressed" key). An empty range
    /// still prints one zero-length entry at its start, because qemu dumps its initial (empty) entry.
    /// </summary>
    public static bool WriteJson(IVirtualDisk disk, MapRange range, TextWriter text)
    {
        ArgumentNullException.ThrowIfNull(disk);
        ArgumentNullException.ThrowIfNull(text);
        text.Write('[');
        if (range.Start >= range.End)
        {
            text.Write(string.Create(CultureInfo.InvariantCulture,
                $"{{ \"start\": {range.Start}, \"length\": 0, \"depth\": 0, \"present\": false, \"zero\": false, \"data\": false}}]\n"));
            return true;
        }
        var first = true;
        foreach (var entry in Entries(disk, range))
        {
            if (!first) text.Write(",\n");
            first = false;
            text.Write(string.Create(CultureInfo.InvariantCulture,
                $"{{ \"start\": {entry.Start}, \"length\": {entry.Length}, \"depth\": {entry.Depth}, \"present\": {Bool(entry.Present)}, \"zero\": {Bool(entry.Zero)}, \"data\": {Bool(entry.Data)}"));
            if (entry.Offset is { } offset)
            {
                text.Write(string.Create(CultureInfo.InvariantCulture, $", \"offset\": {offset}"));
            }
            text.Write('}');
        }
        text.Write("]\n");
        return true;
    }

    /// <summary>
    /// qemu-img map's human table: only ranges with data that is not known to be zero. A range with
    /// data but no plain offset (a compressed cluster) stops the table with an error, as in qemu.
    /// qemu also folds "zero" and "unallocated" together to merge more, which only changes ranges
    /// the table does not print.
    /// </summary>
    public static bool WriteHuman(IVirtualDisk disk, MapRange range, TextWriter text)
    {
        ArgumentNullException.ThrowIfNull(disk);
        ArgumentNullException.ThrowIfNull(text);
        text.Write(string.Create(CultureInfo.InvariantCulture, $"{"Offset",-16}{"Length",-16}{"Mapped to",-16}File\n"));
        foreach (var entry in Entries(disk, range))
        {
            if (entry.Data && entry.Offset is null)
            {
                return false;
            }
            if (entry.Data && !entry.Zero)
            {
                text.Write(string.Create(CultureInfo.InvariantCulture, $"{Hex(entry.Start),-16}{Hex(entry.Length),-16}{Hex(entry.Offset ?? 0),-16}{entry.HostFile}\n"));
            }
        }
        return true;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>printf's "%#x": no 0x prefix for zero.</summary>
    private static string Hex(long value) => value == 0 ? "0" : "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
