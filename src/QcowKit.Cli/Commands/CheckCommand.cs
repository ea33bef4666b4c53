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
        var policyFile = new Option<string?>("--policy") { Description = "A JSON validation policy (rule names as keys); exit 0 when the image passes it, 2 when it does not", HelpName = "FILE" };
        var rules = QcowValidationPolicy.RuleNames.ToDictionary(rule => rule, RuleOption);
        var format = CommonOptions.Format();
        var quiet = CommonOptions.Quiet();
        var forceShare = CommonOptions.ForceShare();
        var report = new Option<string?>("--report") { Description = "Also write a self-contained HTML report (verdict, counts, findings, map of the image file) to FILE, whatever the verdict", HelpName = "FILE" };
        var image = new Argument<string>("IMAGE") { Description = "The qcow2 image to check" };
        var command = new Command("check", "Check an image's consistency like qemu-img check, with stable finding codes; optionally judge it with a validation policy or repair it");
        command.Options.Add(output);
        command.Options.Add(repair);
        command.Options.Add(policyFile);
        foreach (var option in rules.Values) command.Options.Add(option);
        command.Options.Add(format);
        command.Options.Add(quiet);
        command.Options.Add(forceShare);
        command.Options.Add(report);
        command.Arguments.Add(image);
        CommandActions.Set(command, context =>
        {
            var path = context.GetValue(image);
            QcowImageFormat? checkFormat;
            QcowRepairMode repairMode;
            try
            {
                checkFormat = context.GetValue(format) is { } formatName ? QemuNames.ParseDriver(formatName) : null;
                repairMode = context.GetValue(repair) is { } repairName ? QemuNames.ParseRepairMode(repairName) : QcowRepairMode.None;
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(path, ex.Message, 1, ex);
            }
            var policy = new QcowValidationPolicy { ForceShare = context.GetValue(forceShare) };
            var policyGiven = context.GetValue(policyFile) is not null;
            try
            {
                if (context.GetValue(policyFile) is { } file) policy.Apply(file);
                foreach (var (rule, option) in rules)
                {
                    foreach (var value in Values(context, option))
                    {
                        policy.Set(rule, value);
                        policyGiven |= !QcowValidationPolicy.CheckingRuleNames.Contains(rule);
                    }
                }
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(path, CommandActions.OneLine(ex.Message), 1, ex);
            }
            if (repairMode != QcowRepairMode.None && policyGiven)
            {
                throw new CliException(path, "-r repairs and a validation policy judges without writing: give one or the other");
            }
            var options = new QcowCheckOptions
            {
                Format = checkFormat,
                ForceShare = context.GetValue(forceShare),
                Repair = repairMode,
                Deep = policy.Deep,
                Untrusted = policy.Untrusted,
                AllowedDirectories = [.. policy.AllowedDirectories],
                MaxVirtualSize = policy.MaxVirtualSize ?? QcowCheckOptions.DefaultMaxVirtualSize,
                CollectHostMap = context.GetValue(report) is not null,
            };
            if (policyGiven)
            {
                var validation = QcowValidator.Validate(path, policy, options.CollectHostMap, null, context.CancellationToken);
                WriteReport(context.GetValue(report), reportPath => QcowCheckReport.WriteFile(reportPath, validation));
                Report(context, path, validation.Check, validation.Findings, context.GetValue(output), context.GetValue(quiet), judged: true);
                if (!validation.Passed) context.Error.WriteLine($"qcowkit: error: {CommandActions.OneLine(validation.Describe())}");
                return validation.ExitCode;
            }
            QcowCheckResult result;
            try
            {
                result = QcowChecker.Check(path, options, cancellationToken: context.CancellationToken);
            }
            catch (QcowOptionsException ex)
            {
                throw new CliException(path, ex.Message, 1, ex);
            }
            // Before the verdict is printed: a failed check throws there, and its report is wanted most.
            WriteReport(context.GetValue(report), reportPath => QcowCheckReport.WriteFile(reportPath, result));
            Report(context, path, result, result.Findings, context.GetValue(output), context.GetValue(quiet), judged: false);
            return result.ExitCode;
        });
        return command;
    }

    /// <summary>Writes the HTML report when <c>--report</c> named a file; a file that cannot be written fails the command (exit 1).</summary>
    private static void WriteReport(string? reportPath, Action<string> write)
    {
        if (reportPath is null) return;
        try
        {
            write(reportPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(reportPath, ex.Message, 1, ex);
        }
    }

    /// <summary>The flag of a policy rule: its name in kebab case; booleans take no value, lists repeat.</summary>
    private static Option RuleOption(string rule)
    {
        var name = "--" + QcowValidationPolicy.KebabCase(rule);
        if (QcowValidationPolicy.BooleanRuleNames.Contains(rule))
        {
            return new Option<bool>(name) { Description = $"Validation rule {rule}" };
        }
        if (QcowValidationPolicy.ListRuleNames.Contains(rule))
        {
            var list = new Option<string[]>(name) { Description = $"Validation rule {rule} (repeatable)", HelpName = "VALUE", AllowMultipleArgumentsPerToken = false };
            if (rule == nameof(QcowValidationPolicy.AllowedDirectories)) list.Aliases.Add("--allow-dir");
            return list;
        }
        return new Option<string?>(name) { Description = $"Validation rule {rule}", HelpName = "VALUE" };
    }

    /// <summary>The values a rule flag was given, as text for <see cref="QcowValidationPolicy.Set"/>.</summary>
    private static string[] Values(CommandContext context, Option option) => option switch
    {
        Option<bool> flag => context.GetValue(flag) ? ["true"] : [],
        Option<string[]> list => context.GetValue(list) ?? [],
        Option<string?> single => context.GetValue(single) is { } value ? [value] : [],
        _ => [],
    };

    /// <summary>
    /// Prints the report. A plain check that could not open or finish prints no report and one error line, like
    /// qemu-img (the finding that says the same is not repeated); a policy's judgement (<paramref name="judged"/>)
    /// always lists every finding, since they are its verdict, and the caller prints the verdict line.
    /// </summary>
    private static void Report(CommandContext context, string path, QcowCheckResult result, IReadOnlyList<QcowFinding> findings,
        OutputFormat output, bool quiet, bool judged)
    {
        if (!result.Completed && !judged)
        {
            PrintFindings(context, findings.Where(f => f.Code is not (QcowFindingCodes.CannotOpen or QcowFindingCodes.IoError
                or QcowFindingCodes.CheckFailed or QcowFindingCodes.FormatWithoutChecks or QcowFindingCodes.CheckIncomplete)));
            throw new CliException(path, result.Failure ?? "Check failed", result.ExitCode);
        }
        if (output == OutputFormat.Json)
        {
            context.Out.Write(QcowCheckJson.Serialize(result, findings) + "\n");
        }
        else
        {
            PrintFindings(context, findings);
            if (!quiet && result.Completed)
            {
                context.Out.Write(Human(result));
            }
        }
        if (result.CheckErrors > 0 && !judged)
        {
            throw new CliException(path, "Check failed", result.ExitCode);
        }
    }

    private static void PrintFindings(CommandContext context, IEnumerable<QcowFinding> findings)
    {
        foreach (var finding in findings)
        {
            context.Error.WriteLine(finding.ToString());
        }
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
}
