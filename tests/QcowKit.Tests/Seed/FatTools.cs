using QcowKit.TestSupport;

namespace QcowKit.Tests.Seed;

/// <summary>dosfstools, mtools and util-linux as the oracle for FAT volumes and partition tables.</summary>
internal static class FatTools
{
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["LC_ALL"] = "C.UTF-8",
        ["LANG"] = "C.UTF-8",
        ["TZ"] = "UTC",
        ["MTOOLSRC"] = "/dev/null",
    };

    /// <summary>Runs a tool with a UTF-8 locale; fails the test with install advice when it is missing.</summary>
    public static ProcessResult Run(string tool, params string[] arguments)
    {
        var path = Locate(tool);
        return ProcessRunner.Run(path, arguments, environment: Environment, timeout: TimeSpan.FromMinutes(2));
    }

    public static ProcessResult RunOk(string tool, params string[] arguments)
    {
        var result = Run(tool, arguments);
        Assert.That(result.ExitCode, Is.Zero, () => $"{tool} {string.Join(' ', arguments)} failed: {result.Describe()}");
        return result;
    }

    /// <summary>`fsck.fat -n -v`: asserts a clean verdict (exit 0 and no repair message).</summary>
    public static void AssertFsckClean(string image)
    {
        var result = Run("fsck.fat", "-n", "-v", image);
        Assert.That(result.ExitCode, Is.Zero, () => $"fsck.fat -n found problems: {result.Describe()}");
        Assert.That(result.StandardOutput + result.StandardError, Does.Not.Contain("Perform changes").And.Not.Contain("differ"),
            () => result.Describe());
    }

    /// <summary>mtools image spec: the file, or file@@offset for a partition.</summary>
    public static string Spec(string image, long offset) => offset == 0 ? image : $"{image}@@{offset}";

    /// <summary>Copies everything under the volume root into <paramref name="destination"/> with `mcopy -s -m` (keeping times).</summary>
    public static void ExtractAll(string image, long offset, string destination)
    {
        Directory.CreateDirectory(destination);
        // Copying the root folder itself avoids passing names to mtools, which would read [ ] * ? as wildcards.
        RunOk("mcopy", "-i", Spec(image, offset), "-s", "-n", "-m", "::/", destination + "/");
    }

    /// <summary>Asserts that <paramref name="actual"/> holds exactly the files and folders of <paramref name="expected"/>, byte for byte.</summary>
    public static void AssertSameTree(string expected, string actual)
    {
        static string[] Entries(string root) => Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p) + (Directory.Exists(p) ? "/" : string.Empty))
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.That(Entries(actual), Is.EqualTo(Entries(expected)), "the volume's folder tree");
        foreach (var file in Directory.EnumerateFiles(expected, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(actual, Path.GetRelativePath(expected, file));
            Assert.That(Hashing.Sha256OfFile(copy), Is.EqualTo(Hashing.Sha256OfFile(file)), () => $"content of {Path.GetRelativePath(expected, file)}");
        }
    }

    /// <summary>Copies a byte range of an image (a partition) into its own file, for tools that take no offset.</summary>
    public static string ExtractRange(string image, long offset, long length, string destination)
    {
        using var source = File.OpenRead(image);
        using var target = File.Create(destination);
        target.SetLength(length);
        source.Position = offset;
        var buffer = new byte[1024 * 1024];
        for (long done = 0; done < length;)
        {
            var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, length - done));
            if (read == 0) break;
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
            {
                target.Position = done;
                target.Write(buffer, 0, read);
            }
            done += read;
        }
        return destination;
    }

    private static string Locate(string tool)
    {
        foreach (var folder in (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin"]))
        {
            if (folder.Length == 0) continue;
            var candidate = Path.Combine(folder, tool);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"{tool} is required by this test but was not found. Install it with: apt-get install -y dosfstools mtools fdisk (.ci/run does this).");
        throw new InvalidOperationException("unreachable");
    }
}
