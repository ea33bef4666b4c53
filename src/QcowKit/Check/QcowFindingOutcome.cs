namespace QcowKit.Check;

/// <summary>What a finding means for a validation, as every surface reports it.</summary>
public enum QcowFindingOutcome
{
    /// <summary>The finding fails the validation (CLI exit 2, MSBuild error, Cake exception).</summary>
    Blocks,

    /// <summary>The finding is reported as a warning and does not fail the validation.</summary>
    Warns,

    /// <summary>The finding is a note: an info finding, or one the policy allows.</summary>
    Informs,
}
