using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;
using QcowKit.Image;
using QcowKit.Image.Files;
using QcowKit.Image.Writing;
using QcowKit.Image.Locking;

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
    /// (as qemu-img does on a new file, which reads as zeros). Pieces are read (and decompressed) on all cores
    /// and written by one thread.
    /// </summary>
    private static void ToRaw(IVirtualDisk source, string destinationPath, QcowConvertOptions options,
        IProgress<QcowConvertProgress>? progress, CancellationToken cancellationToken)
    {
        var size = source.VirtualSize;
        OutputGuard.EnsureNotAnInput(destinationPath, $"'{destinationPath}'", [.. InputFile.Of(source, "the source image")]);
        // The temporary file is created and closed empty before it is opened to write, as qemu-img does with its
        // output: ext4 marks a file truncated to zero for "allocate on close" (auto_da_alloc), and closing the handle
        // that wrote a whole disk image would then start writeback of all of it inside the convert (0.3-1.3 s
        // measured on a 1.2 GiB copy). Closing the empty file clears the mark.
        using var file = IncompleteFile.Begin(destinationPath);
        try
        {
            using (var output = File.OpenHandle(file.TemporaryPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
            {
                CopyToRaw(source, output, size, options, progress, cancellationToken);
                HostFiles.SetLength(output, destinationPath, size);
                if (options.FlushToDisk) RandomAccess.FlushToDisk(output);
            }
            cancellationToken.ThrowIfCancellationRequested();
            file.Commit(options.FlushToDisk);
            progress?.Report(new QcowConvertProgress(size, size));
        }
        catch (IOException ex) when (file.NameDestination(ex) is var named && !ReferenceEquals(named, ex))
        {
            throw named;
        }
    }

    private static void CopyToRaw(IVirtualDisk source, SafeFileHandle output, long size, QcowConvertOptions options,
        IProgress<QcowConvertProgress>? progress, CancellationToken cancellationToken)
    {
        var pieces = Coalesce(source.GetAllocationMap(0, size).Where(range => range.Data && !range.Zero))
            .SelectMany(range => Split(range.Start, range.Length));
        // Readers (all cores) read, decompress and find the non-zero runs; one writer, the calling thread, writes.
        // The output is one file: concurrent buffered writes to it serialize on its inode lock, so several
        // writing threads only wait for each other, while one writer keeps the lock busy and the reads overlap it.
        // Dedicated threads, not the thread pool: each Read inflates its compressed clusters with Parallel.For
        // on the pool, and pool workers blocked in an outer loop starved those inner loops.
        var readers = Math.Max(1, options.MaxDegreeOfParallelism);
        using var free = new BlockingCollection<RawPiece>();
        using var filled = new BlockingCollection<RawPiece>();
        for (var i = 0; i < readers * 2; i++)
        {
            free.Add(new RawPiece(), CancellationToken.None);
        }
        using var enumerator = pieces.GetEnumerator();
        var gate = new Lock();
        Exception? failure = null;
        var running = readers;
        bool TryTake(out (long Offset, int Length) next)
        {
            lock (gate)
            {
                if (failure is null && !cancellationToken.IsCancellationRequested && enumerator.MoveNext())
                {
                    next = enumerator.Current;
                    return true;
                }
                next = default;
                return false;
            }
        }
        void Fail(Exception ex)
        {
            lock (gate) failure ??= ex;
        }
        void Read()
        {
            try
            {
                while (TryTake(out var next) && free.TryTake(out var piece, Timeout.Infinite, CancellationToken.None))
                {
                    piece.Fill(source, next.Offset, next.Length);
                    filled.Add(piece, CancellationToken.None);
                }
            }
#pragma warning disable CA1031 // Any failure of a reader is handed to the caller's thread and rethrown there unchanged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Fail(ex);
            }
            finally
            {
                if (Interlocked.Decrement(ref running) == 0) filled.CompleteAdding();
            }
        }
        var threads = Enumerable.Range(0, readers)
            .Select(_ => new Thread(Read) { IsBackground = true, Name = "qcowkit convert" })
            .ToList();
        threads.ForEach(thread => thread.Start());
        long copied = 0;
        try
        {
            // No token here: on cancellation the readers stop taking pieces and the writer drains what they read.
            foreach (var piece in filled.GetConsumingEnumerable(CancellationToken.None))
            {
                piece.WriteTo(output);
                copied += piece.Length;
                progress?.Report(new QcowConvertProgress(copied, size));
                free.Add(piece, CancellationToken.None);
            }
        }
#pragma warning disable CA1031 // A write failure stops the readers and is rethrown below with theirs.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fail(ex);
            free.CompleteAdding(); // readers waiting for a buffer give up
        }
        threads.ForEach(thread => thread.Join());
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>One piece of guest bytes on its way from a reader to the writer, with the runs worth writing.</summary>
    private sealed class RawPiece
    {
        private readonly byte[] _buffer = new byte[RawPieceBytes];
        private readonly List<(int Start, int End)> _runs = [];

        public long Offset { get; private set; }

        public int Length { get; private set; }

        public void Fill(IVirtualDisk source, long offset, int length)
        {
            Offset = offset;
            Length = length;
            var chunk = _buffer.AsSpan(0, length);
            source.Read(offset, chunk);
            FindNonZeroRuns(chunk, _runs);
        }

        public void WriteTo(SafeFileHandle output)
        {
            var file = new HandleHostFile(output, ownsHandle: false);
            foreach (var (start, end) in _runs)
            {
                HostIo.WriteInPieces(file, _buffer.AsSpan(start, end - start), Offset + start);
            }
        }
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

    /// <summary>The runs of <paramref name="chunk"/> that hold a non-zero byte, in whole 4 KiB blocks (the rest stays a hole).</summary>
    private static void FindNonZeroRuns(ReadOnlySpan<byte> chunk, List<(int Start, int End)> runs)
    {
        runs.Clear();
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
            runs.Add((start, end));
            position = end;
        }
    }
}
