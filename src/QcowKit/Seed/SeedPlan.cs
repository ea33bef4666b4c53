using QcowKit.Image.Files;

namespace QcowKit.Seed;

/// <summary>
/// Content ready to be written: built (and its names and sources checked) before the target is touched, then
/// sized against the target and written.
/// </summary>
internal abstract class SeedPlan
{
    /// <summary>The smallest guest disk (a multiple of 512) the content fits in.</summary>
    public abstract long MinimumDiskSize();

    /// <summary>Throws <see cref="SeedException"/> when the content does not fit a disk of <paramref name="diskSize"/> bytes.</summary>
    public abstract void Validate(long diskSize);

    /// <summary>Writes the content onto the guest disk.</summary>
    public abstract SeedResult Write(Stream disk, long diskSize, bool diskIsZeroed);

    /// <summary>The files the content is read from that an output must not be (images the plan copies).</summary>
    public virtual IReadOnlyCollection<InputFile> Inputs() => [];

    protected static long RoundUpToSector(long value) => (value + 511) / 512 * 512;

    protected static void CheckRange(string what, long offset, long length, long diskSize)
    {
        if (offset < 0 || offset % 512 != 0) throw new SeedException($"{what}: the target offset {offset} must be a non-negative multiple of 512.");
        if (offset + length > diskSize)
        {
            throw new SeedException($"{what}: {length} bytes at offset {offset} end at {offset + length}, past the end of the {diskSize}-byte disk.");
        }
    }
}
