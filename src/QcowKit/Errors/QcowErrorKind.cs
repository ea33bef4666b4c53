namespace QcowKit;

/// <summary>
/// What went wrong, in the terms a surface reports it: every surface maps a kind to its own output
/// (CLI exit code and message, MSBuild error code, Cake exception) and never looks at message text.
/// </summary>
public enum QcowErrorKind
{
    /// <summary>The image breaks a rule of the qcow2 format or cannot be read as one.</summary>
    BadImage,

    /// <summary>The caller asked for something invalid: a malformed size or option list, a refused combination.</summary>
    BadArgument,

    /// <summary>The request is valid but a policy or safety rule refuses it (untrusted-image rules, a validation policy, an image another process holds, an output that is an input).</summary>
    RefusedByPolicy,

    /// <summary>The host file system failed: missing file, permissions, disk full.</summary>
    Io,
}
