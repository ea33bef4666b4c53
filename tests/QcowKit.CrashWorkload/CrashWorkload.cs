using QcowKit.Image;

namespace QcowKit.CrashWorkload;

/// <summary>One guest operation of the workload.</summary>
public enum WorkloadKind
{
    /// <summary>Random bytes.</summary>
    Write,

    /// <summary>Write zeroes.</summary>
    Zeroes,

    /// <summary>Discard.</summary>
    Discard,

    /// <summary>Compressed whole clusters.</summary>
    Compressed,
}

/// <summary>One guest operation: what, where, and (for writes) the bytes.</summary>
public sealed record WorkloadOperation(WorkloadKind Kind, long Offset, int Length, byte[]? Data)
{
    /// <summary>Applies the operation to the image.</summary>
    public void Apply(QcowImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        switch (Kind)
        {
            case WorkloadKind.Write:
                image.Write(Offset, Data);
                break;
            case WorkloadKind.Zeroes:
                image.WriteZeroes(Offset, Length);
                break;
            case WorkloadKind.Discard:
                image.Discard(Offset, Length);
                break;
            case WorkloadKind.Compressed:
                image.WriteCompressed(Offset, Data);
                break;
            default:
                throw new InvalidOperationException($"unknown operation {Kind}");
        }
    }
}

/// <summary>
/// The seeded workload both the child process and the test's model run: the same seed gives the same
/// operations, so the test knows what every reported flush covered.
/// </summary>
public static class CrashWorkload
{
    /// <summary>Operations for a disk of <paramref name="size"/> bytes with <paramref name="clusterSize"/>-byte clusters.</summary>
    public static IEnumerable<WorkloadOperation> Generate(int seed, long size, int clusterSize)
    {
        // Reproducible test data, not security: a seeded Random is the point.
#pragma warning disable CA5394
        var random = new Random(seed);
        var clusters = (int)((size + clusterSize - 1) / clusterSize);
        while (true)
        {
            var kind = random.Next(100);
            if (kind < 55)
            {
                var length = 1 + random.Next(3 * clusterSize);
                var offset = random.NextInt64(size - length + 1);
                var data = new byte[length];
                random.NextBytes(data);
                yield return new WorkloadOperation(WorkloadKind.Write, offset, length, data);
            }
            else if (kind < 85)
            {
                var aligned = random.Next(2) == 0;
                var first = random.Next(clusters);
                var count = 1 + random.Next(Math.Min(4, clusters - first));
                var offset = aligned ? (long)first * clusterSize : random.NextInt64(size - clusterSize);
                var length = (int)Math.Min((long)count * clusterSize, size - offset);
                yield return new WorkloadOperation(kind < 70 ? WorkloadKind.Zeroes : WorkloadKind.Discard, offset, length, null);
            }
            else
            {
                var first = random.Next(clusters);
                var count = 1 + random.Next(Math.Min(3, clusters - first));
                var offset = (long)first * clusterSize;
                var length = (int)Math.Min((long)count * clusterSize, size - offset);
                var data = new byte[length];
                var word = new byte[16];
                random.NextBytes(word);
                for (var i = 0; i < length; i++)
                {
                    data[i] = (i & 63) < 48 ? word[i & 15] : (byte)random.Next(256);
                }
                yield return new WorkloadOperation(WorkloadKind.Compressed, offset, length, data);
            }
        }
#pragma warning restore CA5394
    }
}
