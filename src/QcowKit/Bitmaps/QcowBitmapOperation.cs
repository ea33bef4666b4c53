namespace QcowKit.Bitmaps;

/// <summary>One operation of a <see cref="QcowBitmapRequest"/>.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Source">For <see cref="QcowBitmapAction.Merge"/>: the name of the bitmap merged in; null otherwise.</param>
public sealed record QcowBitmapOperation(QcowBitmapAction Action, string? Source = null)
{
    /// <summary>
    /// Parses an operation as the surfaces without qemu-img's options spell it (MSBuild items, scripts): <c>add</c>,
    /// <c>remove</c>, <c>clear</c>, <c>enable</c>, <c>disable</c> or <c>merge:SOURCE</c> (any case for the action).
    /// </summary>
    /// <param name="text">The operation.</param>
    /// <returns>The operation.</returns>
    /// <exception cref="QcowOptionsException">Not an operation, or a merge without its source (or another action with one).</exception>
    public static QcowBitmapOperation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = text.IndexOf(':', StringComparison.Ordinal);
        var name = (at < 0 ? text : text[..at]).Trim();
        var source = at < 0 ? null : text[(at + 1)..];
        if (!Enum.TryParse<QcowBitmapAction>(name, ignoreCase: true, out var action) || !Enum.IsDefined(action) || name.Any(char.IsDigit))
        {
            throw new QcowOptionsException($"'{text}' is not a bitmap operation: expected add, remove, clear, enable, disable or merge:SOURCE");
        }
        if ((action == QcowBitmapAction.Merge) != (source is not null) || source?.Length == 0)
        {
            throw new QcowOptionsException(action == QcowBitmapAction.Merge
                ? $"'{text}' names no source bitmap: expected merge:SOURCE"
                : $"'{text}': only merge takes a source bitmap");
        }
        return new QcowBitmapOperation(action, source);
    }
}
