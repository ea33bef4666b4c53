namespace QcowKit.Dd;

/// <summary>What <c>qemu-img dd</c> did.</summary>
/// <param name="OutputSize">The virtual size of the new output.</param>
/// <param name="Warning">qemu-img's message when <c>skip</c> lies past the input's end (the output is then empty and the run still succeeds); null otherwise.</param>
public sealed record QcowDdResult(long OutputSize, string? Warning);
