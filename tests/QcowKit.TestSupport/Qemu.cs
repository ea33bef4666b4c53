using NUnit.Framework;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QcowKit.TestSupport;

/// <summary>
/// qemu-img and qemu-io as the oracle. A test that needs them and cannot find them fails with a
/// message saying how to install them: it never passes silently.
/// </summary>
public static class Qemu
{
    private static readonly string[] SearchFolders = ["/usr/bin", "/usr/local/bin", "/bin"];

    public static string ImgPath => Locate("qemu-img");

    public static string IoPath => Locate("qemu-io");

    private static string Locate(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var folder in path.Split(Path.PathSeparator).Concat(SearchFolders))
        {
            if (folder.Length == 0) continue;
            var candidate = Path.Combine(folder, tool);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"{tool} is required by this test but was not found on PATH. Install it with: apt-get install -y qemu-utils (.ci/run does this).");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Runs qemu-img with the given arguments; does not check the exit code.</summary>
    public static ProcessResult Img(params string[] arguments) => ProcessRunner.Run(ImgPath, arguments);

    /// <summary>Runs qemu-img and fails the test when it exits non-zero.</summary>
    public static ProcessResult ImgOk(params string[] arguments)
    {
        var result = Img(arguments);
        Assert.That(result.ExitCode, Is.Zero, () => $"qemu-img {string.Join(' ', arguments)} failed: {result.Describe()}");
        return result;
    }

    /// <summary>
    /// Makes an encrypted qcow2 (legacy AES, crypt_method 1) of the given size. Every encryption method is
    /// refused alike, and LUKS is not used because qemu-img times its key stretching with thread CPU
    /// time: on machines with a coarse CPU clock it fails with "Unable to get accurate CPU usage".
    /// </summary>
    public static void CreateEncrypted(string path, string size) =>
        ImgOk("create", "-q", "--object", "secret,id=sec0,data=password", "-f", "qcow2",
            "-o", "encryption=on,encrypt.key-secret=sec0", path, size);

    /// <summary>Runs qemu-io on an image (format qcow2 unless given) with one or more -c commands; fails on a non-zero exit.</summary>
    public static ProcessResult Io(string image, params string[] commands) => IoFormat(image, "qcow2", commands);

    public static ProcessResult IoFormat(string image, string format, params string[] commands)
    {
        var arguments = new List<string> { "-f", format };
        foreach (var command in commands)
        {
            arguments.Add("-c");
            arguments.Add(command);
        }
        arguments.Add(image);
        var result = ProcessRunner.Run(IoPath, arguments);
        Assert.That(result.ExitCode, Is.Zero, () => $"qemu-io {string.Join(' ', arguments)} failed: {result.Describe()}");
        Assert.That(result.StandardOutput + result.StandardError, Does.Not.Contain("error").IgnoreCase.And.Not.Contain("failed").IgnoreCase,
            () => $"qemu-io reported a failure: {result.Describe()}");
        return result;
    }

    /// <summary>`qemu-img create -f qcow2 [-o options] path size`.</summary>
    public static void CreateQcow2(string path, string size, string? options = null)
    {
        var arguments = new List<string> { "create", "-q", "-f", "qcow2" };
        if (!string.IsNullOrEmpty(options))
        {
            arguments.Add("-o");
            arguments.Add(options);
        }
        arguments.Add(path);
        arguments.Add(size);
        ImgOk([.. arguments]);
    }

    /// <summary>`qemu-img info --output=json`, parsed.</summary>
    public static JsonObject Info(string path, bool backingChain = false)
    {
        var arguments = new List<string> { "info", "--output=json", "-U" };
        if (backingChain) arguments.Add("--backing-chain");
        arguments.Add(path);
        var result = ImgOk([.. arguments]);
        return (JsonObject)JsonNode.Parse(result.StandardOutput)!;
    }

    /// <summary>`qemu-img check --output=json`: the exit code and the parsed report (null when qemu printed none).</summary>
    public static (int ExitCode, JsonObject? Report, ProcessResult Raw) Check(string path, string? repair = null, string format = "qcow2")
    {
        var arguments = new List<string> { "check", "--output=json", "-f", format };
        if (repair is not null)
        {
            arguments.Add("-r");
            arguments.Add(repair);
        }
        arguments.Add(path);
        var result = Img([.. arguments]);
        JsonObject? report = null;
        var text = result.StandardOutput.Trim();
        var start = text.IndexOf('{', StringComparison.Ordinal);
        if (start >= 0)
        {
            try
            {
                report = JsonNode.Parse(text[start..]) as JsonObject;
            }
            catch (JsonException)
            {
                report = null;
            }
        }
        return (result.ExitCode, report, result);
    }

    /// <summary>`qemu-img map --output=json`, parsed.</summary>
    public static JsonArray Map(string path)
    {
        var result = ImgOk("map", "--output=json", "-U", path);
        return (JsonArray)JsonNode.Parse(result.StandardOutput)!;
    }

    /// <summary>Converts any image qemu can read to raw and returns the SHA-256 of the guest bytes.</summary>
    public static string RawSha256(string path, string? format = null)
    {
        var raw = path + ".oracle.raw";
        try
        {
            var arguments = new List<string> { "convert", "-U", "-O", "raw" };
            if (format is not null)
            {
                arguments.Add("-f");
                arguments.Add(format);
            }
            arguments.Add(path);
            arguments.Add(raw);
            ImgOk([.. arguments]);
            using var stream = File.OpenRead(raw);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        finally
        {
            File.Delete(raw);
        }
    }

    /// <summary>`qemu-img compare` exit code (0 identical, 1 different, 2 error).</summary>
    public static int Compare(string first, string second, bool strict = false)
    {
        var arguments = new List<string> { "compare", "-U" };
        if (strict) arguments.Add("-s");
        arguments.Add(first);
        arguments.Add(second);
        return Img([.. arguments]).ExitCode;
    }
}
