namespace QcowKit.Check;

/// <summary>One problem found by <see cref="QcowChecker"/>.</summary>
/// <param name="Code">Stable code, <c>QCOW0xxx</c>, listed in <see cref="QcowFindingCodes"/> and docs/finding-codes.md.</param>
/// <param name="Severity">How serious the problem is.</param>
/// <param name="Message">What is wrong, in qemu-img check's words where qemu reports the same problem.</param>
/// <param name="Offset">Byte offset in the image file of the entry or cluster at fault, or -1 when there is none.</param>
public sealed record QcowFinding(string Code, QcowFindingSeverity Severity, string Message, long Offset);
