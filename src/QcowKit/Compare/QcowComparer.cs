using QcowKit.Image;

namespace QcowKit.Compare;

/// <summary>
/// Compares the guest contents of two disks with <c>qemu-img compare</c>'s algorithm: block status
/// first (ranges that read as zeroes in both are not read), then 512-byte sectors; a larger image must
/// be zero past the common size; strict mode also requires equal sizes and equal allocation.
/// </summary>
public static class QcowComparer
{
    private const int SectorSize = 512;
    private const int ChunkSize = 2 * 1024 * 1024;

    /// <summary>Opens both images (formats probed when null), compares them and closes them.</summary>
    /// <exception cref="QcowCompareException">An image's allocation or data could not be read.</exception>
    public static QcowCompareResult Compare(string firstPath, QcowImageFormat? firstFormat, string secondPath, QcowImageFormat? secondFormat, bool strict,
        IProgress<QcowCompareProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Compare(firstPath, firstFormat, secondPath, secondFormat, strict, QcowOpenOptions.ReadOnly, progress, cancellationToken);

    /// <summary>
    /// Opens both images with <paramref name="openOptions"/> (read-only; <see cref="QcowOpenOptions.ForceShare"/>
    /// is qemu-img compare's <c>-U</c>), compares them and closes them.
    /// </summary>
    /// <exception cref="QcowCompareException">An image's allocation or data could not be read.</exception>
    /// <exception cref="QcowImageLockedException">Another process writes one of the images (qemu-img compare refuses too).</exception>
    public static QcowCompareResult Compare(string firstPath, QcowImageFormat? firstFormat, string secondPath, QcowImageFormat? secondFormat, bool strict,
        QcowOpenOptions openOptions, IProgress<QcowCompareProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var first = VirtualDisk.Open(firstPath, firstFormat, openOptions);
        using var second = VirtualDisk.Open(secondPath, secondFormat, openOptions);
        return Compare(first, second, strict, progress, cancellationToken);
    }

    /// <summary>Compares the guest contents of <paramref name="first"/> and <paramref name="second"/>.</summary>
    /// <exception cref="QcowCompareException">An image's allocation or data could not be read.</exception>
    public static QcowCompareResult Compare(IVirtualDisk first, IVirtualDisk second, bool strict,
        IProgress<QcowCompareProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var lines = new List<string>();
        var size1 = first.VirtualSize;
        var size2 = second.VirtualSize;
        var common = Math.Min(size1, size2);
        var total = Math.Max(size1, size2);
        if (strict && size1 != size2)
        {
            lines.Add("Strict mode: Image size mismatch!");
            return new QcowCompareResult(false, null, lines);
        }
        var buffer1 = new byte[(int)Math.Min(ChunkSize, Math.Max(total, SectorSize))];
        var buffer2 = new byte[buffer1.Length];
        long offset = 0;
        while (offset < common)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status1 = Status(first, offset, size1 - offset);
            var status2 = Status(second, offset, size2 - offset);
            var chunk = Math.Min(status1.Length, status2.Length);
            if (strict && !SameAllocation(status1, status2))
            {
                lines.Add($"Strict mode: Offset {offset} block status mismatch!");
                return new QcowCompareResult(false, offset, lines);
            }
            if (status1.Zero && status2.Zero)
            {
                // Both read as zeroes: nothing to read.
            }
            else if (status1.Present == status2.Present)
            {
                if (status1.Present)
                {
                    chunk = Math.Min(chunk, buffer1.Length);
                    ReadBoth(first, second, offset, buffer1, buffer2, (int)chunk);
                    if (FirstDifferentSector(buffer1.AsSpan(0, (int)chunk), buffer2.AsSpan(0, (int)chunk)) is { } at)
                    {
                        return Mismatch(lines, offset + at);
                    }
                }
            }
            else
            {
                chunk = Math.Min(chunk, buffer1.Length);
                var allocated = status1.Present ? first : second;
                if (FirstNonZeroSector(allocated, offset, buffer1.AsSpan(0, (int)chunk)) is { } at)
                {
                    return Mismatch(lines, offset + at);
                }
            }
            offset += chunk;
            progress?.Report(new QcowCompareProgress(offset, total));
        }

        if (size1 != size2)
        {
            lines.Add("Warning: Image size mismatch!");
            var larger = size1 > size2 ? first : second;
            while (offset < total)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var status = Status(larger, offset, total - offset);
                var chunk = status.Length;
                if (status.Present && !status.Zero)
                {
                    chunk = Math.Min(chunk, buffer1.Length);
                    if (FirstNonZeroSector(larger, offset, buffer1.AsSpan(0, (int)chunk)) is { } at)
                    {
                        return Mismatch(lines, offset + at);
                    }
                }
                offset += chunk;
                progress?.Report(new QcowCompareProgress(offset, total));
            }
        }
        lines.Add("Images are identical.");
        return new QcowCompareResult(true, null, lines);
    }

    private static QcowCompareResult Mismatch(List<string> lines, long offset)
    {
        lines.Add($"Content mismatch at offset {offset}!");
        return new QcowCompareResult(false, offset, lines);
    }

    /// <summary>What qemu's strict mode compares: the block status flags, not where the data lies.</summary>
    private static bool SameAllocation(AllocationRange a, AllocationRange b) =>
        a.Present == b.Present && a.Zero == b.Zero && a.Data == b.Data && a.Offset.HasValue == b.Offset.HasValue;

    /// <summary>
    /// Reads the same range of both disks at once, the second on the thread pool: the copies out of the page
    /// cache (or the decompression) are the cost of a compare, and qemu-img reads one image after the other.
    /// </summary>
    private static void ReadBoth(IVirtualDisk first, IVirtualDisk second, long offset, byte[] buffer1, byte[] buffer2, int length)
    {
        var secondRead = Task.Run(() => Read(second, offset, buffer2.AsSpan(0, length)), CancellationToken.None);
        try
        {
            Read(first, offset, buffer1.AsSpan(0, length));
        }
        catch
        {
            // The buffer and the disk must not be in use once this returns; the first failure is the one reported.
            try
            {
                secondRead.Wait(CancellationToken.None);
            }
            catch (AggregateException)
            {
            }
            throw;
        }
        secondRead.GetAwaiter().GetResult();
    }

    private static void Read(IVirtualDisk image, long offset, Span<byte> buffer)
    {
        try
        {
            image.Read(offset, buffer);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new QcowCompareException(image.FileName, offset, QcowCompareFailure.Read, ex);
        }
    }

    /// <summary>The allocation of the guest bytes at <paramref name="offset"/> (bdrv_block_status_above).</summary>
    private static AllocationRange Status(IVirtualDisk image, long offset, long length)
    {
        try
        {
            return image.GetAllocationMap(offset, length).First();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException)
        {
            throw new QcowCompareException(image.FileName, offset, QcowCompareFailure.Allocation, ex);
        }
    }

    /// <summary>compare_buffers(): the offset of the first 512-byte sector that differs.</summary>
    private static long? FirstDifferentSector(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var index = a.CommonPrefixLength(b);
        return index == a.Length ? null : index / SectorSize * SectorSize;
    }

    /// <summary>check_empty_sectors(): the offset of the first 512-byte sector that is not all zeroes.</summary>
    private static long? FirstNonZeroSector(IVirtualDisk image, long offset, Span<byte> buffer)
    {
        Read(image, offset, buffer);
        var index = buffer.IndexOfAnyExcept((byte)0);
        return index < 0 ? null : index / SectorSize * SectorSize;
    }
}
