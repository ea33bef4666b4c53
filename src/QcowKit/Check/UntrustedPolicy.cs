using System.Text.RegularExpressions;
using QcowKit.Format;

namespace QcowKit.Check;

/// <summary>
/// Findings for an image that came from someone else (CVE-2024-32498, CVE-2024-4467): references to
/// other files, protocol names, encryption, unknown features and extensions, huge virtual sizes.
/// Works from the parsed header only; it never opens, reads or stats the files an image names
/// (symbolic links are resolved with readlink, which does not open the target).
/// </summary>
internal static partial class UntrustedPolicy
{
    internal const CompatibleFeatures KnownCompatible = CompatibleFeatures.LazyRefcounts;
    internal const AutoclearFeatures KnownAutoclear = AutoclearFeatures.Bitmaps | AutoclearFeatures.RawExternalData;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]+:", RegexOptions.CultureInvariant)]
    private static partial Regex ProtocolPrefix();

    public static void Apply(string imagePath, QcowHeader header, QcowCheckOptions options, List<QcowFinding> findings)
    {
        var imageFolder = Path.GetDirectoryName(Path.GetFullPath(imagePath)) ?? ".";
        if (!string.IsNullOrEmpty(header.BackingFile))
        {
            Reference(findings, options, "backing file", header.BackingFile, imageFolder, QcowFindingCodes.BackingFileReference, (long)header.BackingFileOffset);
        }
        if (header.HasExternalDataFile || !string.IsNullOrEmpty(header.ExternalDataFile))
        {
            var name = header.ExternalDataFile ?? string.Empty;
            // qemu 7.2 resolves a relative data file name against the current folder.
            Reference(findings, options, "external data file", name, Environment.CurrentDirectory, QcowFindingCodes.DataFileReference, HeaderFieldOffsets.IncompatibleFeatures);
        }
        if (header.CryptMethod != 0)
        {
            findings.Add(new QcowFinding(QcowFindingCodes.Encrypted, QcowFindingSeverity.Error,
                $"the image is encrypted (crypt_method {header.CryptMethod}); its content cannot be validated", HeaderFieldOffsets.CryptMethod));
        }
        var unknownCompatible = (ulong)(header.CompatibleFeatures & ~KnownCompatible);
        if (unknownCompatible != 0)
        {
            findings.Add(new QcowFinding(QcowFindingCodes.UnknownFeatureBits, QcowFindingSeverity.Error,
                $"unknown compatible feature bits 0x{unknownCompatible:x}", HeaderFieldOffsets.CompatibleFeatures));
        }
        var unknownAutoclear = (ulong)(header.AutoclearFeatures & ~KnownAutoclear);
        if (unknownAutoclear != 0)
        {
            findings.Add(new QcowFinding(QcowFindingCodes.UnknownFeatureBits, QcowFindingSeverity.Error,
                $"unknown autoclear feature bits 0x{unknownAutoclear:x}", HeaderFieldOffsets.AutoclearFeatures));
        }
        if (header.Size > (ulong)Math.Max(0, options.MaxVirtualSize))
        {
            findings.Add(new QcowFinding(QcowFindingCodes.VirtualSizeTooLarge, QcowFindingSeverity.Error,
                $"the virtual size {header.Size} exceeds the limit of {options.MaxVirtualSize} bytes", HeaderFieldOffsets.Size));
        }
        foreach (var extension in header.UnknownExtensions)
        {
            findings.Add(new QcowFinding(QcowFindingCodes.UnknownHeaderExtension, QcowFindingSeverity.Error,
                $"unknown header extension 0x{extension.Type:x8} ({extension.Data.Length} bytes)", extension.FileOffset));
        }
    }

    private static void Reference(List<QcowFinding> findings, QcowCheckOptions options, string what, string name, string baseFolder, string code, long offset)
    {
        if (name.StartsWith("json:", StringComparison.Ordinal) || ProtocolPrefix().IsMatch(name))
        {
            findings.Add(new QcowFinding(QcowFindingCodes.ProtocolFileName, QcowFindingSeverity.Error,
                $"the {what} is a json: or protocol name, which can reach any file or host: '{name}'", offset));
            return;
        }
        if (options.AllowedDirectories.Count == 0)
        {
            findings.Add(new QcowFinding(code, QcowFindingSeverity.Error, $"the image names a {what}: '{name}'", offset));
            return;
        }
        var resolved = ResolvePath(Path.IsPathRooted(name) ? name : Path.Combine(baseFolder, name));
        foreach (var allowed in options.AllowedDirectories)
        {
            var folder = ResolvePath(Path.GetFullPath(allowed)).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            if (resolved.StartsWith(folder, StringComparison.Ordinal))
            {
                findings.Add(new QcowFinding(code, QcowFindingSeverity.Info, $"the image names a {what} inside an allowed folder: '{name}' -> '{resolved}'", offset));
                return;
            }
        }
        findings.Add(new QcowFinding(QcowFindingCodes.ReferenceOutsideAllowedDirectories, QcowFindingSeverity.Error,
            $"the {what} '{name}' resolves to '{resolved}', outside the allowed folders", offset));
    }

    /// <summary>realpath without opening anything: resolves each component's symbolic link (readlink), at most 40 times.</summary>
    internal static string ResolvePath(string path)
    {
        var full = Path.GetFullPath(path);
        for (var hops = 0; hops < 40; hops++)
        {
            var root = Path.GetPathRoot(full) ?? "/";
            var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            var current = root;
            string? restart = null;
            for (var i = 0; i < parts.Length; i++)
            {
                var next = Path.Combine(current, parts[i]);
                FileSystemInfo info = new FileInfo(next);
                string? target = null;
                try
                {
                    target = info.LinkTarget;
                }
                catch (IOException)
                {
                    target = null;
                }
                catch (UnauthorizedAccessException)
                {
                    target = null;
                }
                if (target is not null)
                {
                    var resolvedTarget = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                    restart = Path.GetFullPath(Path.Combine([resolvedTarget, .. parts[(i + 1)..]]));
                    break;
                }
                current = next;
            }
            if (restart is null) return current;
            full = restart;
        }
        return full;
    }
}
