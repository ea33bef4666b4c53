using QcowKit.Fixtures.Corruptions;

namespace QcowKit.Fixtures;

/// <summary>What qemu-img check says about a corruption on the catalogue's base image.</summary>
/// <param name="ExitCode">qemu-img check's exit code.</param>
/// <param name="Corruptions">Reported corruptions.</param>
/// <param name="Leaks">Reported leaks.</param>
/// <param name="CheckErrors">Reported check errors.</param>
/// <param name="CanOpen">Whether qemu-img info opens the image.</param>
public sealed record CheckOutcome(int ExitCode, long Corruptions = 0, long Leaks = 0, long CheckErrors = 0, bool CanOpen = true)
{
    /// <summary>qemu refuses to open the image: exit 1, no report.</summary>
    public static CheckOutcome Unopenable { get; } = new(1, CanOpen: false);

    /// <summary>Clean.</summary>
    public static CheckOutcome Clean { get; } = new(0);
}

/// <summary>One entry of the corruption catalogue.</summary>
public sealed class CorruptionInfo
{
    internal CorruptionInfo(Corruption kind, string description, CheckOutcome outcome, Func<QcowFixtureOptions, QcowFixtureOptions> baseOptions,
        Func<QcowFixtureOptions, string?> requires, Action<ImageEditor> apply)
    {
        Kind = kind;
        Description = description;
        Outcome = outcome;
        BaseOptions = baseOptions;
        Requires = requires;
        Apply = apply;
    }

    /// <summary>The kind.</summary>
    public Corruption Kind { get; }

    /// <summary>Kebab-case name, as fixture names and the CLI use it (e.g. <c>refcount-zero</c>).</summary>
    public string Name => Naming.Kebab(Kind.ToString());

    /// <summary>What the edit does.</summary>
    public string Description { get; }

    /// <summary>qemu-img check's verdict on the catalogue fixture (verified by the tests).</summary>
    public CheckOutcome Outcome { get; }

    /// <summary>Adjusts the catalogue's default base options so the corruption applies (e.g. adds a snapshot).</summary>
    internal Func<QcowFixtureOptions, QcowFixtureOptions> BaseOptions { get; }

    /// <summary>Null when the corruption applies to images built with these options, else why not.</summary>
    internal Func<QcowFixtureOptions, string?> Requires { get; }

    internal Action<ImageEditor> Apply { get; }
}
