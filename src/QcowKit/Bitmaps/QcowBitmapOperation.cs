namespace QcowKit.Bitmaps;

/// <summary>One operation of a <see cref="QcowBitmapRequest"/>.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Source">For <see cref="QcowBitmapAction.Merge"/>: the name of the bitmap merged in; null otherwise.</param>
public sealed record QcowBitmapOperation(QcowBitmapAction Action, string? Source = null);
