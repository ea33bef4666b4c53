namespace QcowKit.Image.Files;

/// <summary>
/// Refuses to write an output that is one of the operation's inputs. Files are compared by identity (device and
/// inode, or volume and file index), so a symlink, a hard link or a backing file at any depth is found whatever
/// its name; where the platform gives no identity, full paths with symlinks resolved are compared instead.
/// </summary>
internal static class OutputGuard
{
    /// <summary>Throws <see cref="OutputIsInputException"/> when <paramref name="outputPath"/> names one of <paramref name="inputs"/>.</summary>
    /// <param name="outputPath">The file that would be written (it need not exist).</param>
    /// <param name="outputDescription">How the refusal names it, e.g. <c>'out.qcow2'</c>.</param>
    /// <param name="inputs">Every file the operation reads.</param>
    public static void EnsureNotAnInput(string outputPath, string outputDescription, IEnumerable<InputFile> inputs)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!File.Exists(outputPath)) return;
        var identity = FileIdentity.OfPath(outputPath);
        var resolved = ResolvedFullPath(outputPath);
        foreach (var input in inputs)
        {
            var same = identity is not null && input.Identity is not null
                ? identity == input.Identity
                : string.Equals(resolved, ResolvedFullPath(input.Path), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
            if (same) throw new OutputIsInputException(outputDescription, input.Path, input.Relation);
        }
    }

    /// <summary>The full path with every symlink on the way resolved (the last resort when identities are unknown).</summary>
    internal static string ResolvedFullPath(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }
}
