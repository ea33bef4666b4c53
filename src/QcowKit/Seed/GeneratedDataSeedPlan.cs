using System.Buffers;

namespace QcowKit.Seed;

/// <summary>Deterministic data from <see cref="DeterministicData"/> at an offset of the disk.</summary>
internal sealed class GeneratedDataSeedPlan : SeedPlan
{
    private const int BufferSize = 1024 * 1024;
    private readonly GeneratedDataSeedOptions _options;

    public GeneratedDataSeedPlan(GeneratedDataSeedOptions options)
    {
        if (options.Length < 0) throw new SeedException($"Generated data length {options.Length} must not be negative.");
        if (options.ZeroBlockPercent is < 0 or > 100)
        {
            throw new SeedException($"ZeroBlockPercent {options.ZeroBlockPercent} must be between 0 and 100.");
        }
        if (options.TargetOffset < 0 || options.TargetOffset % 512 != 0)
        {
            throw new SeedException($"Target offset {options.TargetOffset} must be a non-negative multiple of 512.");
        }
        _options = options;
    }

    public override long MinimumDiskSize() => RoundUpToSector(_options.TargetOffset + _options.Length);

    public override void Validate(long diskSize) => CheckRange("Generated data", _options.TargetOffset, _options.Length, diskSize);

    public override SeedResult Write(Stream disk, long diskSize, bool diskIsZeroed)
    {
        Validate(diskSize);
        var writer = new SparseWriter(disk, diskIsZeroed);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            for (long done = 0; done < _options.Length;)
            {
                var count = (int)Math.Min(BufferSize, _options.Length - done);
                var span = buffer.AsSpan(0, count);
                DeterministicData.Fill(_options.Seed, _options.ZeroBlockPercent, done, span);
                writer.Write(_options.TargetOffset + done, span);
                done += count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        disk.Flush();
        return new SeedResult(diskSize, writer.BytesWritten, writer.BytesSkipped);
    }
}
