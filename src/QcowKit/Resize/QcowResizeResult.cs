namespace QcowKit.Resize;

/// <summary>The outcome of <see cref="QcowResizer.Resize"/>.</summary>
/// <param name="OldSize">The virtual size before (a raw file's length rounded up to 512 bytes, as qemu sees it).</param>
/// <param name="NewSize">The virtual size after.</param>
public sealed record QcowResizeResult(long OldSize, long NewSize);
