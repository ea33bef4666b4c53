namespace QcowKit.Fixtures;

/// <summary>
/// What qemu (and QcowKit's validator) must say about a fixture: the <c>qemu-img check</c> exit code
/// and counts, whether <c>qemu-img info</c> opens it, and the guest bytes' SHA-256 when
/// <c>qemu-img convert</c> can read them.
/// </summary>
public sealed record ExpectedVerdict
{
    /// <summary><c>qemu-img check</c>'s exit code: 0 clean, 1 cannot open or check, 2 corruptions, 3 leaks only.</summary>
    public int CheckExitCode { get; init; }

    /// <summary>The check report's <c>corruptions</c> (0 when no report is printed).</summary>
    public long Corruptions { get; init; }

    /// <summary>The check report's <c>leaks</c>.</summary>
    public long Leaks { get; init; }

    /// <summary>The check report's <c>check-errors</c>.</summary>
    public long CheckErrors { get; init; }

    /// <summary>Whether <c>qemu-img info</c> opens the image.</summary>
    public bool CanOpen { get; init; } = true;

    /// <summary>Whether <c>qemu-img convert -O raw</c> reads the whole guest disk.</summary>
    public bool GuestReadable { get; init; } = true;

    /// <summary>SHA-256 (lower-case hex) of the guest disk when readable, else null.</summary>
    public string? GuestSha256 { get; init; }
}
