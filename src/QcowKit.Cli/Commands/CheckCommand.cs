using System.CommandLine;
using System.Globalization;
using System.Text;
using QcowKit.Check;
using QcowKit.Cli.Infrastructure;

namespace QcowKit.Cli.Commands;

/// <summary>
/// <c>qcowkit check</c>: qemu-img check's verdict, counts, JSON keys and exit codes (0 clean, 1 cannot
/// open or check, 2 corruptions, 3 leaks only), plus findings with stable codes, <c>--deep</c> and the
/// untrusted-image policy.
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Output();
        var repair = new Option<string?>("-r") { Description = "Repair: leaks (free leaked clusters) or all (also rebuild refcounts, fix COPIED flags)", HelpName = "leaks|all" };
        repair.AcceptOnlyFromAmong("leaks", "all");
        var deep = new Option<bool>("--deep") { Description = "Also decompress every compressed cluster and check what qemu-img check skips" };
        var untrusted = new Option<bool>("--untrusted") { Description = "Treat the image as hostile: report references to other files, protocols, encryption, unknown features; open nothing else" };
        var allowDir = new Option<string[]>("--allow-dir") { Description = "With --untrusted: a folder backing and data files may live in (repeatable)", HelpName = "DIR", AllowMultipleArgumentsPerToken = false };
        var maxVirtualSize = new Option<string?>("--max-virtual-size") { Description = "With --untrusted: largest accepted virtual size (bytes, or with K/M/G/T/P suffix; default 2T)", HelpName = "SIZE" };
        var format = CommonOptions.Format();
        var quiet = CommonOptions.Quiet();
        var forceShare = CommonOptions.ForceShare();
        var image = new Argument<string>("IMAGE") { Description = "The qcow2 image to check" };
        var command = new Command("check", "Check an image's consistency like qemu-img check, with stable finding codes; optionally repair it");
        command.Options.Add(output);
        command.Options.Add(repair);
        command.Options.Add(deep);
        command.Options.Add(untrusted);
        command.Options.Add(allowDir);
        command.Options.Add(maxVirtualSize);
        command.Options.Add(format);
        command.Options.Add(quiet);
        command.Options.Add(forceShare);
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            var fmt = context.GetValue(format);
            if (fmt is not null && !string.Equals(fmt, "qcow2", StringComparison.Ordinal))
            {
                throw new CliException(path, $"check supports the qcow2 format only, not '{fmt}'");
            }
            if (context.GetValue(forceShare) && context.GetValue(repair) is not null)
            {
                throw CommonOptions.ForceShareWithWrite(path);
            }
            var options = new QcowCheckOptions
            {
                ForceShare = context.GetValue(forceShare),
                Repair = context.GetValue(repair) switch
                {
                    "leaks" => QcowRepairMode.Leaks,
                    "all" => QcowRepairMode.All,
                    _ => QcowRepairMode.None,
                },
                Deep = context.GetValue(deep),
                Untrusted = context.GetValue(untrusted),
                AllowedDirectories = context.GetValue(allowDir) ?? [],
                MaxVirtualSize = context.GetValue(maxVirtualSize) is { } size ? ParseSize(path, size) : QcowCheckOptions.DefaultMaxVirtualSize,
            };
            var result = QcowChecker.Check(path, options);
            if (context.GetValue(output) == OutputFormat.Json)
            {
                context.Out.Write(QcowCheckJson.Serialize(result) + "\n");
            }
            else
            {
                foreach (var finding in result.Findings)
                {
                    context.Error.WriteLine($"{finding.Code} {finding.Severity.ToString().ToLowerInvariant()}: {finding.Message}");
                }
                if (result.Completed && !context.GetValue(quiet))
                {
                    context.Out.Write(Human(result));
                }
            }
            if (!result.Completed || result.CheckErrors > 0)
            {
                context.Error.WriteLine("qcowkit: error: Check failed");
            }
            return result.ExitCode;
        });
        return command;
    }

    /// <summary>qemu-img check's human summary (dump_human_image_check), with the repair preamble when something was fixed.</summary>
    public static string Human(QcowCheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var b = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        if (result.CorruptionsFixed != 0 || result.LeaksFixed != 0)
        {
            b.Append(inv, $"The following inconsistencies were found and repaired:\n\n    {result.LeaksFixed} leaked clusters\n    {result.CorruptionsFixed} corruptions\n\nDouble checking the fixed image now...\n");
        }
        if (result.Corruptions == 0 && result.Leaks == 0 && result.CheckErrors == 0)
        {
            b.Append("No errors were found on the image.\n");
        }
        else
        {
            if (result.Corruptions != 0)
            {
                b.Append(inv, $"\n{result.Corruptions} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n");
            }
            if (result.Leaks != 0)
            {
                b.Append(inv, $"\n{result.Leaks} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n");
            }
            if (result.CheckErrors != 0)
            {
                b.Append(inv, $"\n{result.CheckErrors} internal errors have occurred during the check.\n");
            }
        }
        if (result.TotalClusters != 0 && result.AllocatedClusters != 0)
        {
            b.Append(inv, $"{result.AllocatedClusters}/{result.TotalClusters} = {result.AllocatedClusters * 100.0 / result.TotalClusters:F2}% allocated, ");
            b.Append(inv, $"{result.FragmentedClusters * 100.0 / result.AllocatedClusters:F2}% fragmented, {result.CompressedClusters * 100.0 / result.AllocatedClusters:F2}% compressed clusters\n");
        }
        if (result.ImageEndOffset != 0)
        {
            b.Append(inv, $"Image end offset: {result.ImageEndOffset}\n");
        }
        return b.ToString();
    }

    private static long ParseSize(string path, string text)
    {
        var multiplier = 1L;
        var digits = text.Trim();
        if (digits.Length > 0 && char.IsLetter(digits[^1]))
        {
            multiplier = char.ToUpperInvariant(digits[^1]) switch
            {
                'B' => 1L,
                'K' => 1L << 10,
                'M' => 1L << 20,
                'G' => 1L << 30,
                'T' => 1L << 40,
                'P' => 1L << 50,
                _ => throw new CliException(path, $"invalid size '{text}' for --max-virtual-size"),
            };
            digits = digits[..^1];
        }
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > long.MaxValue / multiplier)
        {
            throw new CliException(path, $"invalid size '{text}' for --max-virtual-size");
        }
        return value * multiplier;
    }
}
