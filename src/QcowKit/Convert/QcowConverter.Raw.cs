using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;
using QcowKit.Image;

namespace QcowKit;

public static partial class QcowConverter
{
    /// <summary>Guest bytes one thread reads and writes at a time for raw output.</summary>
    private const int RawPieceBytes = 2 * 1024 * 1024;

    /// <summary>Zero blocks smaller than this are written, larger runs stay holes (qemu-img convert's default <c>-S 4k</c>).</summary>
    private const int SparseBlock = 4096;

    /// <summary>
    /// Writes the guest bytes of <paramref name="source"/> to a new raw file. Only ranges the allocation map
    /// reports as data are read; 4 KiB blocks of zeros in them are not written, the file just gets its length
    /// (as qemu-img does on a new file, which reads as zeros). Pieces are read and written by all cores: reads
    /// are positional and decompression is the expensive part.
    /// </summary>
    private static void ToRaw(IVirtualDisk source, string destinationPath, QcowConvertOptions options,
        IProgress<QcowConvertProgress>? progress, CancellationToken cancellationToken)
    {
        if (options.Compress)
        {
            throw new QcowOptionsException("Compression not supported for this file format");
        }
        if (options.BackingFile is not null)
        {
            throw new QcowOptionsException("Backing file not supported for file format 'raw'");
        }
        var size = source.VirtualSize;
        try
        {
            using (var output = File.OpenHandle(destinationPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read))
            {
                CopyToRaw(source, output, size, options, progress, cancellationToken);
                RandomAccess.SetLength(output, size);
                if (options.FlushToDisk) RandomAccess.FlushToDisk(output);
            }
            progress?.Report(new QcowConvertProgress(size, size));
        }
        catch (OperationCanceledException)
        {
            TryDelete(destinationPath);
            throw;
        }
    }

    private static void CopyToRaw(IVirtualDisk source, SafeFileHandle output, long size, QcowConvertOptions options,
        IProgress<QcowConvertProgress>? progress, CancellationToken cancellationToken)
    {
        var pieces = Coalesce(source.GetAllocationMap(0, size).Where(range => range.Data && !range.Zero))
            .SelectMany(range => Split(range.Start, range.Length));
        // Reports are serialized so that callers see a monotonic sequence, one call at a time; holes count as
        // done when the copy ends.
        var progressLock = new Lock();
        long copied = 0;
        // Dedicated threads, not the thread pool: each Read inflates its compressed clusters with Parallel.For
        // on the pool, and pool workers blocked in an outer Parallel.ForEach starved those inner loops (wall
        // time twice the CPU time on a loaded machine).
        using var enumerator = pieces.GetEnumerator();
        var gate = new Lock();
        Exception? failure = null;
        bool TryTake(out (long Offset, int Length) piece)
        {
            lock (gate)
            {
                if (failure is null && !cancellationToken.IsCancellationRequested && enumerator.MoveNext())
                {
                    piece = enumerator.Current;
                    return true;
                }
                piece = default;
                return false;
            }
        }
        void Work()
        {
            var buffer = new byte[RawPieceBytes];
            try
            {
                while (TryTake(out var piece))
                {
                    var chunk = buffer.AsSpan(0, piece.Length);
                    source.Read(piece.Offset, chunk);
                    WriteNonZeroBlocks(output, chunk, piece.Offset);
                    if (progress is not null)
                    {
                        lock (progressLock)
                        {
                            copied += piece.Length;
                            progress.Report(new QcowConvertProgress(copied, size));
                        }
                    }
                }
            }
#pragma warning disable CA1031 // Any failure of a worker is handed to the caller's thread and rethrown there unchanged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                lock (gate) failure ??= ex;
            }
        }
        var workers = Enumerable.Range(1, Math.Max(1, options.MaxDegreeOfParallelism) - 1)
            .Select(_ => new Thread(Work) { IsBackground = true, Name = "qcowkit convert" })
            .ToList();
        workers.ForEach(worker => worker.Start());
        Work();
        workers.ForEach(worker => worker.Join());
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Joins guest-adjacent data ranges (compressed clusters are one map range each) so that pieces are
    /// 2 MiB: one Read per piece then inflates its clusters in parallel and writes in large blocks.
    /// </summary>
    private static IEnumerable<(long Start, long Length)> Coalesce(IEnumerable<AllocationRange> ranges)
    {
        long start = 0, length = 0;
        foreach (var range in ranges)
        {
            if (length > 0 && start + length == range.Start)
            {
                length += range.Length;
                continue;
            }
            if (length > 0) yield return (start, length);
            (start, length) = (range.Start, range.Length);
        }
        if (length > 0) yield return (start, length);
    }

    private static IEnumerable<(long Offset, int Length)> Split(long start, long length)
    {
        for (long done = 0; done < length; done += RawPieceBytes)
        {
            yield return (start + done, (int)Math.Min(RawPieceBytes, length - done));
        }
    }

    /// <summary>Writes the runs of <paramref name="chunk"/> that hold a non-zero byte, in whole 4 KiB blocks.</summary>
    private static void WriteNonZeroBlocks(SafeFileHandle output, ReadOnlySpan<byte> chunk, long offset)
    {
        var position = 0;
        while (position < chunk.Length)
        {
            // One vectorized scan finds the next non-zero byte; its block starts the next run.
            var nonZero = chunk[position..].IndexOfAnyExcept((byte)0);
            if (nonZero < 0) return;
            var start = position + (nonZero / SparseBlock * SparseBlock);
            var end = start;
            while (end < chunk.Length && chunk.Slice(end, Math.Min(SparseBlock, chunk.Length - end)).ContainsAnyExcept((byte)0))
            {
                end += SparseBlock;
            }
            end = Math.Min(end, chunk.Length);
            RandomAccess.Write(output, chunk[start..end], offset + start);
            position = end;
        }
    }
}
