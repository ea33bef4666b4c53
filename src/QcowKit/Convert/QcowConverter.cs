using QcowKit.Compression;
using QcowKit.Image;
using QcowKit.Image.Files;

namespace QcowKit;

/// <summary>
/// Converts any readable disk (qcow2 or raw) into a new qcow2 or raw image, like <c>qemu-img convert</c>.
/// qcow2 output: clusters that read as zeros stay unallocated, <see cref="QcowConvertOptions.Compress"/>
/// compresses every cluster on all cores (written in guest order, so the output does not depend on thread
/// timing), and with a backing file only clusters that differ from it are written. Raw output: a sparse copy
/// written by all cores. Neither is fsynced unless <see cref="QcowConvertOptions.FlushToDisk"/> asks for it.
/// </summary>
public static partial class QcowConverter
{
    /// <summary>Guest bytes handled per step: read, compared, compressed in parallel, then written in order.</summary>
    private const int BatchBytes = 8 * 1024 * 1024;

    /// <summary>Opens <paramref name="sourcePath"/> (format probed when <paramref name="sourceFormat"/> is null) and converts it.</summary>
    public static void Convert(string sourcePath, QcowImageFormat? sourceFormat, string destinationPath, QcowConvertOptions options,
        IProgress<QcowConvertProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var source = VirtualDisk.Open(sourcePath, sourceFormat, new QcowOpenOptions { ForceShare = options.ForceShare, ConversionSource = true });
        Convert(source, destinationPath, options, progress, cancellationToken);
    }

    /// <summary>
    /// Converts <paramref name="source"/> into a new image at <paramref name="destinationPath"/> (replaced if it exists).
    /// The output is written all-or-nothing: to a temporary file beside the destination, renamed into place only when
    /// complete; on an error, a cancellation or a full disk it is removed and an existing destination keeps its bytes.
    /// </summary>
    /// <exception cref="QcowOptionsException">qemu-img would refuse the options (unknown output format, create options, or compression or a backing file with raw output).</exception>
    /// <exception cref="OutputIsInputException">The output (or its data file) is a file the conversion reads: the source, its backing or data files, or the output's backing chain.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; nothing is left behind.</exception>
    public static void Convert(IVirtualDisk source, string destinationPath, QcowConvertOptions options,
        IProgress<QcowConvertProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        ArgumentNullException.ThrowIfNull(options);
        var create = options.EffectiveCreateOptions();
        if (options.OutputFormat == QcowImageFormat.Raw)
        {
            ToRaw(source, destinationPath, options, progress, cancellationToken);
        }
        else
        {
            ToQcow2(source, destinationPath, options, create, progress, cancellationToken);
        }
    }

    private static void ToQcow2(IVirtualDisk source, string destinationPath, QcowConvertOptions options, QcowCreateOptions create,
        IProgress<QcowConvertProgress>? progress, CancellationToken cancellationToken)
    {
        create.Size ??= source.VirtualSize;
        IVirtualDisk? backing = null;
        try
        {
            var inputs = InputFile.Of(source, "the source image").ToList();
            if (options.BackingFile is not null)
            {
                var backingPath = QcowImage.CombineBackingName(destinationPath, options.BackingFile);
                var backingFormat = options.BackingFormat ?? VirtualDisk.Probe(backingPath);
                backing = VirtualDisk.OpenNamed(backingPath, backingFormat);
                create.BackingFile = options.BackingFile;
                create.BackingFormat = backingFormat;
                inputs.AddRange(InputFile.Of(backing, $"the backing file of '{destinationPath}'"));
            }
            if (options.Compress && create.DataFile is not null)
            {
                throw new QcowOptionsException("Compression not supported with an external data file");
            }
            using var files = NewImageFiles.Begin(destinationPath, create.DataFile, inputs);
            try
            {
                using (var image = QcowImage.CreateAndOpen(files, create, options.FlushToDisk, cancellationToken))
                {
                    Copy(source, backing, image, options, progress, cancellationToken);
                }
                // Closing the image writes its last metadata; a cancel that came meanwhile still keeps the destination.
                cancellationToken.ThrowIfCancellationRequested();
                files.Commit(options.FlushToDisk);
            }
            catch (IOException ex) when (files.NameDestination(ex) is var named && !ReferenceEquals(named, ex))
            {
                throw named;
            }
        }
        finally
        {
            backing?.Dispose();
        }
    }

    private static void Copy(IVirtualDisk source, IVirtualDisk? backing, QcowImage image, QcowConvertOptions options,
        IProgress<QcowConvertProgress>? progress, CancellationToken cancellationToken)
    {
        var size = Math.Min(source.VirtualSize, image.VirtualSize);
        var clusterSize = image.ClusterSize;
        var batchBytes = Math.Max(clusterSize, BatchBytes / clusterSize * clusterSize);
        // Two buffer sets: the next batch is read (and zero-checked, and compared with the backing file) on
        // the thread pool while this one is compressed and written, so reading overlaps writing as in qemu.
        var buffers = new[] { new byte[batchBytes], new byte[batchBytes] };
        var backingBuffers = backing is null ? null : new[] { new byte[batchBytes], new byte[batchBytes] };
        byte[]? streamBuffer = null;
        using var compressors = new ThreadLocal<ClusterCompressor>(() => new ClusterCompressor(image.CompressionType), trackAllValues: true);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism), CancellationToken = cancellationToken };
        // Without a backing file, ranges the source maps as holes or zeros need not be read at all (qemu asks
        // for block status the same way): a sparse raw disk or a mostly empty qcow2 is copied at the speed of its data.
        using var dataRanges = backing is null ? DataRangeCursor.Create(source, size) : null;

        ClusterKind[] ReadBatch(long offset, byte[] into, byte[]? backingInto)
        {
            var length = (int)Math.Min(batchBytes, size - offset);
            var chunk = into.AsSpan(0, length);
            var clusters = (length + clusterSize - 1) / clusterSize;
            var kinds = new ClusterKind[clusters];
            var maybeData = dataRanges?.Mark(offset, length, clusterSize);
            ReadMaybeData(source, offset, chunk, clusterSize, maybeData);
            for (var i = 0; i < clusters; i++)
            {
                if (maybeData is not null && !maybeData[i])
                {
                    kinds[i] = ClusterKind.Zero;
                    continue;
                }
                var part = chunk.Slice(i * clusterSize, Math.Min(clusterSize, length - (i * clusterSize)));
                kinds[i] = part.ContainsAnyExcept((byte)0) ? ClusterKind.Data : ClusterKind.Zero;
            }
            if (backing is not null)
            {
                MarkSameAsBacking(backing, offset, length, clusterSize, chunk, backingInto!, kinds);
            }
            return kinds;
        }

        // The read-ahead task gets no token: a token cancelled before it starts would surface as a
        // TaskCanceledException; cancellation is observed below, after each batch, as OperationCanceledException.
        var pending = size > 0 ? Task.Run(() => ReadBatch(0, buffers[0], backingBuffers?[0]), CancellationToken.None) : null;
        try
        {
            var index = 0;
            for (long offset = 0; offset < size; offset += batchBytes, index = 1 - index)
            {
                var kinds = pending!.GetAwaiter().GetResult();
                pending = null;
                cancellationToken.ThrowIfCancellationRequested();
                var next = offset + batchBytes;
                var nextIndex = 1 - index;
                if (next < size)
                {
                    pending = Task.Run(() => ReadBatch(next, buffers[nextIndex], backingBuffers?[nextIndex]), CancellationToken.None);
                }
                var buffer = buffers[index];
                var length = (int)Math.Min(batchBytes, size - offset);
                var chunk = buffer.AsMemory(0, length);
                var clusters = kinds.Length;

                if (options.Compress)
                {
                    // One stream slot per cluster in a buffer reused by every batch, compressed straight from
                    // the read buffer: no per-cluster allocation (zeroing 2 x 64 KiB per cluster cost more
                    // CPU than zstd itself). Only a short last cluster is padded with zeros in a scratch copy.
                    streamBuffer ??= new byte[batchBytes];
                    var lengths = new int[clusters];
                    Parallel.For(0, clusters, parallel, i =>
                    {
                        if (kinds[i] != ClusterKind.Data) return;
                        var start = i * clusterSize;
                        ReadOnlySpan<byte> cluster = buffer.AsSpan(start, Math.Min(clusterSize, length - start));
                        if (cluster.Length < clusterSize)
                        {
                            var padded = new byte[clusterSize];
                            cluster.CopyTo(padded);
                            cluster = padded;
                        }
                        var slot = streamBuffer.AsSpan(start, clusterSize);
                        lengths[i] = compressors.Value!.TryCompress(cluster, slot, out var compressed) ? compressed : 0;
                    });
                    var batch = new List<QcowImage.PrecompressedCluster>(clusters);
                    for (var i = 0; i < clusters; i++)
                    {
                        if (kinds[i] != ClusterKind.Data) continue;
                        var start = i * clusterSize;
                        var raw = chunk.Slice(start, Math.Min(clusterSize, length - start));
                        batch.Add(new QcowImage.PrecompressedCluster(offset + start, raw, lengths[i] == 0 ? default : streamBuffer.AsMemory(start, lengths[i])));
                    }
                    image.WritePrecompressed(batch);
                }
                else
                {
                    WriteDataRuns(image, offset, chunk.Span, clusterSize, kinds);
                }
                WriteZeroRuns(image, offset, length, clusterSize, kinds);
                progress?.Report(new QcowConvertProgress(offset + length, size));
            }
            if (size == 0) progress?.Report(new QcowConvertProgress(0, 0));
            image.Flush();
        }
        finally
        {
            // A read still in flight must end before the caller disposes the source.
            if (pending is not null)
            {
                try
                {
                    pending.Wait(CancellationToken.None);
                }
                catch (AggregateException)
                {
                    // The operation already failed or was cancelled; that exception is the one to report.
                }
            }
            foreach (var compressor in compressors.Values)
            {
                compressor.Dispose();
            }
        }
    }

    /// <summary>Reads the clusters <paramref name="maybeData"/> marks (all of them when it is null).</summary>
    private static void ReadMaybeData(IVirtualDisk source, long offset, Span<byte> chunk, int clusterSize, bool[]? maybeData)
    {
        if (maybeData is null)
        {
            source.Read(offset, chunk);
            return;
        }
        for (var i = 0; i < maybeData.Length;)
        {
            if (!maybeData[i])
            {
                i++;
                continue;
            }
            var first = i;
            while (i < maybeData.Length && maybeData[i]) i++;
            var start = first * clusterSize;
            var end = Math.Min(i * clusterSize, chunk.Length);
            source.Read(offset + start, chunk[start..end]);
        }
    }

    /// <summary>The source's data ranges in guest order, consumed batch by batch.</summary>
    private sealed class DataRangeCursor(IEnumerator<AllocationRange> ranges) : IDisposable
    {
        private bool _hasCurrent = ranges.MoveNext();

        public static DataRangeCursor Create(IVirtualDisk source, long size) =>
            new(source.GetAllocationMap(0, size).Where(r => r.Data && !r.Zero).GetEnumerator());

        /// <summary>Which clusters of the batch at <paramref name="offset"/> overlap a data range.</summary>
        public bool[] Mark(long offset, int length, int clusterSize)
        {
            var marks = new bool[(length + clusterSize - 1) / clusterSize];
            var end = offset + length;
            while (_hasCurrent)
            {
                var range = ranges.Current;
                var rangeEnd = range.Start + range.Length;
                if (rangeEnd <= offset)
                {
                    _hasCurrent = ranges.MoveNext();
                    continue;
                }
                if (range.Start >= end) break;
                var first = (int)((Math.Max(range.Start, offset) - offset) / clusterSize);
                var last = (int)((Math.Min(rangeEnd, end) - offset + clusterSize - 1) / clusterSize);
                marks.AsSpan(first, last - first).Fill(true);
                if (rangeEnd > end) break;
                _hasCurrent = ranges.MoveNext();
            }
            return marks;
        }

        public void Dispose() => ranges.Dispose();
    }

    /// <summary>
    /// With a backing file, clusters equal to it are skipped, and zero clusters over non-zero backing data
    /// must be written as zeros (they would otherwise show the backing file).
    /// </summary>
    private static void MarkSameAsBacking(IVirtualDisk backing, long offset, int length, int clusterSize, ReadOnlySpan<byte> chunk, byte[] backingBuffer, ClusterKind[] kinds)
    {
        var backingSpan = backingBuffer.AsSpan(0, length);
        var inside = (int)Math.Clamp(backing.VirtualSize - offset, 0, length);
        if (inside > 0) backing.Read(offset, backingSpan[..inside]);
        backingSpan[inside..].Clear();
        for (var i = 0; i < kinds.Length; i++)
        {
            var start = i * clusterSize;
            var count = Math.Min(clusterSize, length - start);
            if (chunk.Slice(start, count).SequenceEqual(backingSpan.Slice(start, count)))
            {
                kinds[i] = ClusterKind.Same;
            }
            else if (kinds[i] == ClusterKind.Zero)
            {
                kinds[i] = ClusterKind.ZeroOverBacking;
            }
        }
    }

    private static void WriteDataRuns(QcowImage image, long offset, ReadOnlySpan<byte> chunk, int clusterSize, ClusterKind[] kinds)
    {
        for (var i = 0; i < kinds.Length;)
        {
            if (kinds[i] != ClusterKind.Data)
            {
                i++;
                continue;
            }
            var first = i;
            while (i < kinds.Length && kinds[i] == ClusterKind.Data) i++;
            var start = first * clusterSize;
            var end = Math.Min(i * clusterSize, chunk.Length);
            image.Write(offset + start, chunk[start..end]);
        }
    }

    private static void WriteZeroRuns(QcowImage image, long offset, int length, int clusterSize, ClusterKind[] kinds)
    {
        for (var i = 0; i < kinds.Length;)
        {
            if (kinds[i] != ClusterKind.ZeroOverBacking)
            {
                i++;
                continue;
            }
            var first = i;
            while (i < kinds.Length && kinds[i] == ClusterKind.ZeroOverBacking) i++;
            var start = first * clusterSize;
            var end = Math.Min(i * clusterSize, length);
            image.WriteZeroes(offset + start, end - start);
        }
    }

    private enum ClusterKind : byte
    {
        Zero,
        Data,
        Same,
        ZeroOverBacking,
    }
}
