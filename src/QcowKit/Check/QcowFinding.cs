using System.Globalization;

namespace QcowKit.Check;

/// <summary>One problem found by <see cref="QcowChecker"/> or a <see cref="QcowValidationPolicy"/> rule.</summary>
/// <param name="Code">Stable code, <c>QCOW0xxx</c>, listed in <see cref="QcowFindingCodes"/> and docs/finding-codes.md.</param>
/// <param name="Severity">How serious the problem is.</param>
/// <param name="Message">What is wrong, in qemu-img check's words where qemu reports the same problem.</param>
/// <param name="Offset">Byte offset in the image file of the entry or cluster at fault, or -1 when there is none.</param>
public sealed record QcowFinding(string Code, QcowFindingSeverity Severity, string Message, long Offset)
{
    /// <summary>
    /// The finding without code and severity, for surfaces that log those in fields of their own (MSBuild):
    /// <c>at offset 0x30000: MESSAGE</c>, or the message alone when there is no offset.
    /// </summary>
    public string Describe() => Offset >= 0
        ? string.Create(CultureInfo.InvariantCulture, $"at offset 0x{Offset:x}: {Message}")
        : Message;

    /// <summary>The one text of a finding on every surface: <c>QCOW0200 ERROR at offset 0x30000: MESSAGE</c>.</summary>
    public override string ToString() => Offset >= 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Code} {Severity.ToString().ToUpperInvariant()} at offset 0x{Offset:x}: {Message}")
        : string.Create(CultureInfo.InvariantCulture, $"{Code} {Severity.ToString().ToUpperInvariant()}: {Message}");
}
