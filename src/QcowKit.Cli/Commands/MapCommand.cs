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
            bool complete;
            try
            {
                complete = context.GetValue(output) == OutputFormat.Json ? WriteJson(disk, text) : WriteHuman(disk, text);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException)
            {
                throw new CliException(path, ImageOpener.Describe(ex), 1, ex);
            }
            context.Out.Write(text.ToString());
            if (!complete)
            {
                throw new CliException(path, "File contains external, encrypted or compressed clusters.");
            }
            return 0;
        });
        return command;
    }

    /// <summary>qemu-img map --output=json (qemu 7.2 has no "compressed" key).</summary>
    public static bool WriteJson(IVirtualDisk disk, StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(disk);
        ArgumentNullException.ThrowIfNull(text);
        text.Append('[');
        var first = true;
        foreach (var entry in disk.GetAllocationMap(0, disk.VirtualSize))
        {
            if (!first) text.Append(",\n");
            first = false;
            text.Append(CultureInfo.InvariantCulture,
                $"{{ \"start\": {entry.Start}, \"length\": {entry.Length}, \"depth\": {entry.Depth}, \"present\": {Bool(entry.Present)}, \"zero\": {Bool(entry.Zero)}, \"data\": {Bool(entry.Data)}");
            if (entry.Offset is { } offset)
            {
                text.Append(CultureInfo.InvariantCulture, $", \"offset\": {offset}");
            }
            text.Append('}');
        }
        text.Append("]\n");
        return true;
    }

    /// <summary>
    /// qemu-img map's human table: only ranges with data that is not known to be zero. A range with
    /// data but no plain offset (a compressed cluster) stops the table with an error, as in qemu.
    /// qemu also folds "zero" and "unallocated" together to merge more, which only changes ranges
    /// the table does not print.
    /// </summary>
    public static bool WriteHuman(IVirtualDisk disk, StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(disk);
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture, $"{"Offset",-16}{"Length",-16}{"Mapped to",-16}File\n");
        foreach (var entry in disk.GetAllocationMap(0, disk.VirtualSize))
        {
            if (entry.Data && entry.Offset is null)
            {
                return false;
            }
            if (entry.Data && !entry.Zero)
            {
                text.Append(CultureInfo.InvariantCulture, $"{Hex(entry.Start),-16}{Hex(entry.Length),-16}{Hex(entry.Offset ?? 0),-16}{entry.HostFile}\n");
            }
        }
        return true;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>printf's "%#x": no 0x prefix for zero.</summary>
    private static string Hex(long value) => value == 0 ? "0" : "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
