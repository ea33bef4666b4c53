using System.Security.Cryptography;
using System.Text.Json.Nodes;
using QcowKit.Fixtures;
using QcowKit.TestSupport;

namespace QcowKit.Fixtures.Tests;

/// <summary>What qemu-img actually says about a built fixture, run from the fixture's folder (qemu 7.2 resolves data file names against the current directory).</summary>
internal static class QemuVerdict
{
    internal static ExpectedVerdict Of(string imagePath)
    {
        var folder = Path.GetDirectoryName(imagePath)!;
        var name = Path.GetFileName(imagePath);
        var check = ProcessRunner.Run(Qemu.ImgPath, ["check", "--output=json", "-f", "qcow2", name], folder);
        JsonObject? report = null;
        var text = check.StandardOutput.Trim();
        var start = text.IndexOf('{', StringComparison.Ordinal);
        if (start >= 0)
        {
            report = JsonNode.Parse(text[start..]) as JsonObject;
        }
        var info = ProcessRunner.Run(Qemu.ImgPath, ["info", "-U", "--output=json", "-f", "qcow2", name], folder);
        var raw = Path.Combine(folder, name + ".verdict.raw");
        string? sha = null;
        try
        {
            var convert = ProcessRunner.Run(Qemu.ImgPath, ["convert", "-U", "-f", "qcow2", "-O", "raw", name, raw], folder);
            if (convert.ExitCode == 0)
            {
                using var stream = File.OpenRead(raw);
                sha = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
        }
        finally
        {
            File.Delete(raw);
        }
        return new ExpectedVerdict
        {
            CheckExitCode = check.ExitCode,
            Corruptions = Count(report, "corruptions"),
            Leaks = Count(report, "leaks"),
            CheckErrors = Count(report, "check-errors"),
            CanOpen = info.ExitCode == 0,
            GuestReadable = sha is not null,
            GuestSha256 = sha,
        };
    }

    private static long Count(JsonObject? report, string key) => report?[key]?.GetValue<long>() ?? 0;
}
