using System.Buffers;
using System.Buffers.Binary;
using QcowKit.Compression;
using QcowKit.Create;
using QcowKit.Format;
using QcowKit.Image.Files;
using QcowKit.Image.Writing;

namespace QcowKit.Image;

public sealed partial class QcowImage
{
    private readonly Lock _writeLock = new();
    private RefcountAllocator? _allocator;
    private WriteBarrier? _barrier;
    private ClusterCompressor? _compressor;
    private bool _markedDirty;

    /// <summary>
    /// L2 tables changed by the current operation: private copies, so that cached arrays stay immutable for
    /// concurrent readers. Published to the cache when the operation ends (one copy per table and operation).
    /// </summary>
    private readonly Dictionary<long, ulong[]> _pendingL2 = [];

    /// <summary>Host offset where the next compressed stream may go (inside a cluster already holding streams), or 0.</summary>
    private long _compressedCursor;

    /// <summary>
    /// Creates a qcow2 image as <c>qemu-img create -f qcow2 -o ...</c> would and opens it read-write. The image (and
    /// its external data file) is written all-or-nothing: to a temporary file beside it, renamed into place only when
    /// complete, so on a failure an existing file of that name keeps its bytes.
    /// </summary>
    /// <param name="path">The new image; an existing file is replaced.</param>
    /// <param name="options">qemu's create options; validated with qemu's rules and messages.</param>
    /// <exception cref="QcowOptionsException">qemu-img would refuse these options (same message).</exception>
    /// <exception cref="OutputIsInputException">The image or its data file is a file of its own backing chain.</exception>
    public static QcowImage Create(string path, QcowCreateOptions options) => Create(path, options, CancellationToken.None);

    /// <inheritdoc cref="Create(string, QcowCreateOptions)"/>
    /// <param name="path">The new image; an existing file is replaced.</param>
    /// <param name="options">qemu's create options; validated with qemu's rules and messages.</param>
    /// <param name="cancellationToken">Cancels a long preallocation; nothing is left behind.</param>
    public static QcowImage Create(string path, QcowCreateOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        using (var files = NewImageFiles.Begin(path, options.DataFile, Files.InputFile.OfBackingChain(path, options.BackingFile, options.BackingFormat)))
        {
            try
            {
                QcowCreator.Create(files.ImagePath, options, files.DataFilePath, cancellationToken);
                if (options.BackingFile is not null && !options.Unsafe && options.DataFile is null)
                {
                    // The new image must open with its backing chain before it replaces anything: a failure leaves the user's files as they were.
                    // (With a data file the header names the final data file, which is not in place yet.)
                    Open(files.ImagePath).Dispose();
                }
                files.Commit(flushToDisk: true);
            }
            catch (IOException ex) when (files.NameDestination(ex) is var named && !ReferenceEquals(named, ex))
            {
                throw named;
            }
        }
        return Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite, ExternalFiles = options.Unsafe ? ExternalFilePolicy.Never : ExternalFilePolicy.Open });
    }

    /// <summary>
    /// Creates a qcow2 image onto <paramref name="stream"/> (its bytes are replaced, from position 0) as
    /// <see cref="Create(string, QcowCreateOptions)"/> lays it out on a file, and opens it read-write over the stream.
    /// Meant for building images in memory (a <see cref="MemoryStream"/> in a test); there is no temporary file, so a
    /// failure can leave the stream half written.
    /// </summary>
    /// <param name="stream">Readable, writable and seekable.</param>
    /// <param name="options">qemu's create options; they may name neither a backing file nor an external data file.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open when the image is disposed (as <see cref="StreamReader"/>'s option).</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot read, write or seek.</exception>
    /// <exception cref="QcowOptionsException">qemu-img would refuse these options, or they name a backing file or a data file.</exception>
    public static QcowImage Create(Stream stream, QcowCreateOptions options, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable to create an image in it.", nameof(stream));
        }
        // The creator writes through its own view, which must not close the caller's stream; the image takes over after.
        using (var layout = new StreamHostFile(stream, leaveOpen: true))
        {
            QcowCreator.Create(layout, options);
        }
        return Open(stream, new QcowOpenOptions { Access = FileAccess.ReadWrite }, leaveOpen);
    }

    /// <summary>
    /// Creates the image in <paramref name="files"/>' temporary files and opens it read-write; the caller writes it
    /// and commits. With <paramref name="flushToDisk"/> false nothing is fsynced (qemu's cache=unsafe).
    /// </summary>
    internal static QcowImage CreateAndOpen(NewImageFiles files, QcowCreateOptions options, bool flushToDisk, CancellationToken cancellationToken)
    {
        QcowCreator.Create(files.ImagePath, options, files.DataFilePath, cancellationToken);
        return Open(files.ImagePath, new QcowOpenOptions { Access = FileAccess.ReadWrite, FlushToDisk = flushToDisk, DataFile = files.DataFilePath });
    }

    /// <summary>True when the image was opened read-write.</summary>
    public bool CanWrite => Options.Writable && !_disposed;

    /// <summary>
    /// Writes guest bytes at <paramref name="offset"/>. Clusters are allocated as needed; a partial write
    /// to an unallocated cluster copies the rest from the backing file (on extended L2 images only the
    /// touched subclusters are allocated, and subcluster-aligned writes copy nothing).
    /// </summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        lock (_writeLock)
        {
            BeginWrite(offset, data.Length);
            try
            {
                while (!data.IsEmpty)
                {
                    var clusterStart = offset & ~Header.ClusterOffsetMask;
                    var within = (int)(offset - clusterStart);
                    var count = (int)Math.Min(data.Length, Header.ClusterSize - within);
                    if (within == 0 && count == Header.ClusterSize && WriteFreshRun(clusterStart, data) is var written and > 0)
                    {
                        count = written;
                    }
                    else
                    {
                        WriteCluster(clusterStart, within, data[..count]);
                    }
                    offset += count;
                    data = data[count..];
                }
                EndWrite();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    /// <summary>
    /// Makes a guest range read as zeros. On version 3 images whole clusters (and, with extended L2,
    /// whole subclusters) get the zero flag and release their host clusters; the rest is written as zeros.
    /// </summary>
    public void WriteZeroes(long offset, long length)
    {
        lock (_writeLock)
        {
            BeginWrite(offset, length);
            try
            {
                ForEachCluster(offset, length, (clusterStart, within, count) => ZeroCluster(clusterStart, within, count));
                EndWrite();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    /// <summary>
    /// Releases the host clusters of every whole cluster in the range (partial clusters are left as they
    /// are, as qemu does). Afterwards the range reads as zeros, except on a version 2 image with a backing
    /// file, where it reads from the backing file again. Does nothing on an image whose data file is raw.
    /// </summary>
    public void Discard(long offset, long length)
    {
        lock (_writeLock)
        {
            BeginWrite(offset, length);
            try
            {
                if (!Header.DataFileIsRaw)
                {
                    ForEachCluster(offset, length, DiscardCluster);
                }
                EndWrite();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    /// <summary>
    /// Makes every whole cluster of the range unallocated, so that it reads from the backing file again: qemu's
    /// full discard, with which qemu-img commit empties the image it committed. Does nothing on an image whose
    /// data file is raw (qemu cannot empty those either).
    /// </summary>
    internal void Unallocate(long offset, long length)
    {
        lock (_writeLock)
        {
            BeginWrite(offset, length);
            try
            {
                if (!Header.DataFileIsRaw)
                {
                    ForEachCluster(offset, length, (clusterStart, within, count) =>
                    {
                        if (within == 0 && count == ClusterBytes(clusterStart))
                        {
                            ReplaceWhole(clusterStart, new L2Entry(0, 0));
                        }
                    });
                }
                EndWrite();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    /// <summary>
    /// Writes whole clusters compressed with the image's compression type, packed into shared host
    /// clusters as qemu does. A cluster whose compressed form is not smaller is stored uncompressed.
    /// </summary>
    /// <param name="offset">Cluster-aligned guest offset.</param>
    /// <param name="data">Whole clusters (the last may end at the end of the disk).</param>
    /// <exception cref="ArgumentException">The range is not made of whole clusters.</exception>
    /// <exception cref="InvalidOperationException">The image has an external data file (qemu cannot compress those either).</exception>
    public void WriteCompressed(long offset, ReadOnlySpan<byte> data)
    {
        lock (_writeLock)
        {
            BeginWrite(offset, data.Length);
            try
            {
                if ((offset & Header.ClusterOffsetMask) != 0 || ((data.Length & Header.ClusterOffsetMask) != 0 && offset + data.Length != VirtualSize))
                {
                    throw new ArgumentException($"Compressed writes must cover whole clusters of {Header.ClusterSize} bytes (offset {offset}, length {data.Length}).", nameof(data));
                }
                if (Header.HasExternalDataFile)
                {
                    throw new InvalidOperationException("Compressed writes are not supported on images with an external data file.");
                }
                _compressor ??= new ClusterCompressor(Header.CompressionType, Options.PortableZstd ? null : NativeZstd.Instance);
                var cluster = ArrayPool<byte>.Shared.Rent(Header.ClusterSize);
                var stream = ArrayPool<byte>.Shared.Rent(Header.ClusterSize);
                try
                {
                    while (!data.IsEmpty)
                    {
                        var count = Math.Min(data.Length, Header.ClusterSize);
                        var input = cluster.AsSpan(0, Header.ClusterSize);
                        data[..count].CopyTo(input);
                        input[count..].Clear(); // qemu compresses the last, partial cluster padded with zeros
                        if (_compressor.TryCompress(input, stream, out var length))
                        {
                            WriteCompressedCluster(offset, stream.AsSpan(0, length));
                        }
                        else
                        {
                            WriteCluster(offset, 0, data[..count]);
                        }
                        offset += count;
                        data = data[count..];
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(cluster);
                    ArrayPool<byte>.Shared.Return(stream);
                }
                EndWrite();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    /// <summary>The compression type compressed writes use (the header's compression_type).</summary>
    internal CompressionType CompressionType => Header.CompressionType;

    /// <summary>One whole cluster for <see cref="WritePrecompressed"/>: its guest bytes and, when it compressed to less than a cluster, the stream.</summary>
    internal readonly record struct PrecompressedCluster(long Offset, ReadOnlyMemory<byte> Raw, ReadOnlyMemory<byte> Stream);

    /// <summary>
    /// Writes clusters compressed elsewhere (the converter compresses on all cores), in the given order, as one
    /// operation: a cluster without a stream is stored uncompressed.
    /// </summary>
    internal void WritePrecompressed(IReadOnlyList<PrecompressedCluster> clusters)
    {
        if (clusters.Count == 0)
        {
            return;
        }
        lock (_writeLock)
        {
            BeginWrite(clusters[0].Offset, 0);
            try
            {
                if (Header.HasExternalDataFile)
                {
                    throw new InvalidOperationException("Compressed writes are not supported on images with an external data file.");
                }
                foreach (var cluster in clusters)
                {
                    CheckRange(cluster.Offset, cluster.Raw.Length, VirtualSize);
                    MarkBitmapsDirty(cluster.Offset, cluster.Raw.Length);
                    if (cluster.Stream.IsEmpty)
                    {
                        WriteCluster(cluster.Offset, 0, cluster.Raw.Span);
                    }
                    else
                    {
                        WriteCompressedCluster(cluster.Offset, cluster.Stream.Span);
                    }
                }
                EndWrite();
            }
            catch
            {
                AbandonWrite();
                throw;
            }
        }
    }

    /// <summary>Forces everything written so far to stable storage (data file first, then the image).</summary>
    public void Flush()
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!Options.Writable || !Options.FlushToDisk)
            {
                return;
            }
            if (DataFile is { } data && !ReferenceEquals(data, ImageFile))
            {
                HostIo.Flush(data, Options.WriteObserver);
            }
            HostIo.Flush(ImageFile, Options.WriteObserver);
        }
    }

    /// <summary>Flushes and clears the dirty bit (called by Dispose).</summary>
    private void CloseWriter()
    {
        if (!Options.Writable || _allocator is null)
        {
            return;
        }
        lock (_writeLock)
        {
            var sync = Options.FlushToDisk;
            if (sync && DataFile is { } data && !ReferenceEquals(data, ImageFile))
            {
                HostIo.Flush(data, Options.WriteObserver);
            }
            if (sync) HostIo.Flush(ImageFile, Options.WriteObserver);
            StoreBitmaps();
            if (_markedDirty)
            {
                Header.IncompatibleFeatures &= ~IncompatibleFeatures.Dirty;
                WriteIncompatibleFeatures();
                if (sync) HostIo.Flush(ImageFile, Options.WriteObserver);
                _markedDirty = false;
            }
            _compressor?.Dispose();
            _compressor = null;
        }
    }

    /// <summary>After a failed operation the private copies may be ahead of the disk: drop them and the cached tables.</summary>
    private void AbandonWrite()
    {
        foreach (var offset in _pendingL2.Keys)
        {
            L2Cache.Invalidate(offset);
        }
        _pendingL2.Clear();
        DropUnpublished();
    }

    private void BeginWrite(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Options.Writable)
        {
            throw new InvalidOperationException($"'{FileName}' was opened read-only; open it with QcowOpenOptions.Access = FileAccess.ReadWrite to write.");
        }
        CheckRange(offset, length, VirtualSize);
        if (DataFile is null)
        {
            throw new InvalidOperationException($"Writing to '{FileName}' needs its external data file, which was not opened (external file policy).");
        }
        EnsureAllocator();
        TrackBitmaps(offset, length);
    }

    /// <summary>Opens the refcount allocator before the first change (and marks a lazy-refcounts image dirty).</summary>
    private void EnsureAllocator()
    {
        if (_allocator is null)
        {
            var h = Header;
            _barrier = new WriteBarrier(ImageFile, DataFile ?? ImageFile, Options.FlushToDisk, Options.WriteObserver);
            _allocator = RefcountAllocator.Open(ImageFile, h.ClusterBits, h.RefcountOrder, (long)h.RefcountTableOffset, (int)h.RefcountTableClusters,
                Options.WriteObserver, _barrier);
            if (h.HasLazyRefcounts && !h.IsDirty)
            {
                // As qemu: a lazy-refcounts image is marked dirty before its first write and clean on close.
                Header.IncompatibleFeatures |= IncompatibleFeatures.Dirty;
                WriteIncompatibleFeatures();
                _barrier.Flush(); // the dirty bit is stable before anything it covers
                _markedDirty = true;
            }
        }
    }

    private void EndWrite()
    {
        PublishPending(); // puts the operation's tables into the cache before their L1 entries change
        _pendingL2.Clear();
        Header.RefcountTableOffset = (ulong)_allocator!.TableOffset;
        Header.RefcountTableClusters = (uint)_allocator.TableClusters;
    }

    private void WriteIncompatibleFeatures()
    {
        Span<byte> field = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(field, (ulong)Header.IncompatibleFeatures);
        HostIo.Write(ImageFile, field, HeaderFieldOffsets.IncompatibleFeatures, Options.WriteObserver);
    }

    private void ForEachCluster(long offset, long length, Action<long, int, int> action)
    {
        var end = offset + length;
        while (offset < end)
        {
            var clusterStart = offset & ~Header.ClusterOffsetMask;
            var within = (int)(offset - clusterStart);
            var count = (int)Math.Min(end - offset, Header.ClusterSize - within);
            action(clusterStart, within, count);
            offset += count;
        }
    }

    /// <summary>Guest bytes of the cluster starting at <paramref name="clusterStart"/> that lie inside the disk.</summary>
    private int ClusterBytes(long clusterStart) => (int)Math.Min(Header.ClusterSize, VirtualSize - clusterStart);

    /// <summary>The L2 table slot for a guest cluster, with the L2 table allocated and exclusively owned (COPIED).</summary>
    private L2Slot WritableSlot(long clusterStart)
    {
        var h = Header;
        var l1Index = clusterStart >> L2CoverageBits;
        var index = (int)((clusterStart >> h.ClusterBits) & (h.L2Entries - 1));
        var l1 = new L1Entry(CurrentL1Entry(l1Index));
        if (l1.L2TableOffset != 0 && l1.Copied)
        {
            if (!_pendingL2.TryGetValue(l1.L2TableOffset, out var owned))
            {
                owned = (ulong[])GetL2Table(l1Index, l1).Clone();
                _pendingL2[l1.L2TableOffset] = owned;
            }
            return new L2Slot(l1.L2TableOffset, owned, index);
        }
        var table = l1.L2TableOffset == 0 ? new ulong[h.ClusterSize / 8]
            : (ulong[])(_pendingL2.TryGetValue(l1.L2TableOffset, out var shared) ? shared : GetL2Table(l1Index, l1)).Clone();
        var newOffset = _allocator!.Allocate(1);
        L2Cache.Invalidate(newOffset);
        _pendingL2[newOffset] = table;
        AddNewL2Table(newOffset, l1Index);
        if (l1.L2TableOffset != 0)
        {
            // A shared (snapshot) L2 table was copied: this L1 no longer references the old one.
            DeferUnref(l1.L2TableOffset);
        }
        return new L2Slot(newOffset, table, index);
    }

    private void SetL1Entry(long index, ulong raw)
    {
        _l1Table[index] = raw;
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, raw);
        HostIo.Write(ImageFile, bytes, (long)Header.L1TableOffset + (index * 8), Options.WriteObserver);
    }

    /// <summary>The slot's current entry (bitmap 0 without extended L2).</summary>
    private L2Entry ReadSlot(L2Slot slot) => Header.HasExtendedL2
        ? new L2Entry(slot.Table[slot.Index * 2], slot.Table[(slot.Index * 2) + 1])
        : new L2Entry(slot.Table[slot.Index], 0);

    /// <summary>Updates the operation's private copy of the table; the entry reaches the disk when the operation ends.</summary>
    private void WriteSlot(L2Slot slot, L2Entry entry)
    {
        var table = slot.Table;
        if (Header.HasExtendedL2)
        {
            table[slot.Index * 2] = entry.Raw;
            table[(slot.Index * 2) + 1] = entry.Bitmap;
        }
        else
        {
            table[slot.Index] = entry.Raw;
        }
        MarkL2Entry(slot.TableOffset, slot.Index);
    }

    /// <summary>True when the entry has a host cluster (for external data files, host offset 0 counts when COPIED is set).</summary>
    private bool HasHostCluster(L2Entry entry) => !entry.IsCompressed && (entry.HostOffset != 0 || (Header.HasExternalDataFile && entry.Copied));

    private long AllocateDataCluster(long clusterStart) =>
        Header.HasExternalDataFile ? clusterStart : _allocator!.Allocate(1);

    /// <summary>Most whole clusters one <see cref="WriteFreshRun"/> allocates together (4 MiB of 64 KiB clusters).</summary>
    private const int FreshRunClusters = 64;

    /// <summary>
    /// Writes a run of at least two whole clusters that all need a new host cluster (unallocated, zero without
    /// a host cluster, compressed or shared with a snapshot) as qemu does: one contiguous allocation, one data
    /// write, then their L2 entries. Returns the bytes written, or 0 when the run is shorter than two clusters
    /// (the caller then writes cluster by cluster). Standard L2 in the image file only.
    /// </summary>
    private int WriteFreshRun(long clusterStart, ReadOnlySpan<byte> data)
    {
        var clusterSize = Header.ClusterSize;
        var limit = (int)Math.Min(data.Length / clusterSize, FreshRunClusters);
        if (Header.HasExtendedL2 || Header.HasExternalDataFile || limit < 2)
        {
            return 0;
        }
        Span<L2Slot> slots = new L2Slot[limit];
        var count = 0;
        while (count < limit && ClusterBytes(clusterStart + ((long)count * clusterSize)) == clusterSize)
        {
            var slot = WritableSlot(clusterStart + ((long)count * clusterSize));
            var entry = ReadSlot(slot);
            if (HasHostCluster(entry) && entry.Copied)
            {
                break; // overwritten in place (or an allocated zero cluster reused): not part of the run
            }
            slots[count++] = slot;
        }
        if (count < 2)
        {
            return 0;
        }
        var host = _allocator!.Allocate(count);
        var bytes = count * clusterSize;
        _barrier!.DataWritten();
        HostIo.Write(DataFile!, data[..bytes], host, Options.WriteObserver, guestData: true);
        for (var i = 0; i < count; i++)
        {
            var old = ReadSlot(slots[i]);
            WriteSlot(slots[i], L2Entry.Standard(host + ((long)i * clusterSize), copied: true));
            DeferRelease(old);
        }
        return bytes;
    }

    private void WriteCluster(long clusterStart, int within, ReadOnlySpan<byte> data)
    {
        if (Header.HasExtendedL2)
        {
            WriteExtendedCluster(clusterStart, within, data);
            return;
        }
        var slot = WritableSlot(clusterStart);
        var entry = ReadSlot(slot);
        var hasHost = HasHostCluster(entry);
        var zero = (entry.Raw & L2Entry.ZeroFlag) != 0;
        if (hasHost && entry.Copied && !zero)
        {
            HostIo.Write(DataFile!, data, entry.HostOffset + within, Options.WriteObserver, guestData: true);
            return;
        }
        var clusterBytes = ClusterBytes(clusterStart);
        var reuse = hasHost && entry.Copied; // an allocated zero cluster: its host cluster is ours to overwrite
        var host = reuse ? entry.HostOffset : AllocateDataCluster(clusterStart);
        WriteWithCurrentContent(clusterStart, within, data, host, 0, clusterBytes);
        WriteSlot(slot, L2Entry.Standard(host, copied: true));
        if (!reuse)
        {
            DeferRelease(entry);
        }
    }

    private void WriteExtendedCluster(long clusterStart, int within, ReadOnlySpan<byte> data)
    {
        var slot = WritableSlot(clusterStart);
        var entry = ReadSlot(slot);
        var clusterBytes = ClusterBytes(clusterStart);
        var hasHost = HasHostCluster(entry);
        if (entry.IsCompressed || (hasHost && !entry.Copied))
        {
            // Compressed or shared with a snapshot: the whole cluster moves to a new host cluster.
            var host = AllocateDataCluster(clusterStart);
            WriteWithCurrentContent(clusterStart, within, data, host, 0, clusterBytes);
            WriteSlot(slot, new L2Entry(L2Entry.Standard(host, copied: true).Raw, L2Entry.AllAllocatedMask));
            DeferRelease(entry);
            return;
        }
        var subclusterBits = Header.ClusterBits - 5;
        var first = within >> subclusterBits;
        var last = (within + data.Length - 1) >> subclusterBits;
        var regionStart = first << subclusterBits;
        var regionEnd = Math.Min((last + 1) << subclusterBits, clusterBytes);
        var hostOffset = hasHost ? entry.HostOffset : AllocateDataCluster(clusterStart);
        WriteWithCurrentContent(clusterStart, within, data, hostOffset, regionStart, regionEnd);
        var mask = (uint)(((1UL << (last + 1)) - 1) & ~((1UL << first) - 1));
        var bitmap = (entry.Bitmap | mask) & ~((ulong)mask << 32);
        WriteSlot(slot, new L2Entry(L2Entry.Standard(hostOffset, copied: true).Raw, bitmap));
    }

    /// <summary>
    /// Writes <paramref name="data"/> (at <paramref name="within"/> in the cluster) to the host cluster, filling
    /// the rest of [regionStart, regionEnd) with what the guest reads there now (backing data, zeros,
    /// decompressed or shared data), so that no partial cluster or subcluster is left undefined.
    /// </summary>
    private void WriteWithCurrentContent(long clusterStart, int within, ReadOnlySpan<byte> data, long host, int regionStart, int regionEnd)
    {
        // Every caller then points an L2 entry (or subcluster bit) at this data: it must be stable first.
        _barrier!.DataWritten();
        if (within == regionStart && within + data.Length == regionEnd)
        {
            HostIo.Write(DataFile!, data, host + within, Options.WriteObserver, guestData: true);
            return;
        }
        var length = regionEnd - regionStart;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var region = buffer.AsSpan(0, length);
            Read(clusterStart + regionStart, region);
            data.CopyTo(region[(within - regionStart)..]);
            HostIo.Write(DataFile!, region, host + regionStart, Options.WriteObserver, guestData: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ZeroCluster(long clusterStart, int within, int count)
    {
        var clusterBytes = ClusterBytes(clusterStart);
        var whole = within == 0 && count == clusterBytes;
        if (Header.DataFileIsRaw)
        {
            // The raw data file must stay a valid image of the guest disk: write the zeros there.
            WriteZeroBytes(clusterStart, within, count);
            return;
        }
        if (Header.Version == 2)
        {
            if (whole && string.IsNullOrEmpty(Header.BackingFile))
            {
                ReplaceWhole(clusterStart, new L2Entry(0, 0));
                return;
            }
            WriteZeroBytes(clusterStart, within, count);
            return;
        }
        if (!Header.HasExtendedL2)
        {
            if (whole)
            {
                ReplaceWhole(clusterStart, new L2Entry(L2Entry.ZeroFlag, 0));
                return;
            }
            WriteZeroBytes(clusterStart, within, count);
            return;
        }
        if (whole)
        {
            ReplaceWhole(clusterStart, new L2Entry(0, L2Entry.AllAllocatedMask << 32));
            return;
        }
        var subclusterSize = Header.SubclusterSize;
        var end = within + count;
        var alignedStart = within % subclusterSize == 0;
        var alignedEnd = end % subclusterSize == 0 || end == clusterBytes;
        var slot = WritableSlot(clusterStart);
        var entry = ReadSlot(slot);
        if (!alignedStart || !alignedEnd || entry.IsCompressed || (HasHostCluster(entry) && !entry.Copied))
        {
            WriteZeroBytes(clusterStart, within, count);
            return;
        }
        var subclusterBits = Header.ClusterBits - 5;
        var first = within >> subclusterBits;
        var last = (end - 1) >> subclusterBits;
        var mask = ((1UL << (last + 1)) - 1) & ~((1UL << first) - 1);
        var bitmap = (entry.Bitmap & ~mask) | (mask << 32);
        WriteSlot(slot, new L2Entry(entry.Raw, bitmap));
    }

    private void DiscardCluster(long clusterStart, int within, int count)
    {
        if (within != 0 || count != ClusterBytes(clusterStart))
        {
            return;
        }
        var hasBacking = !string.IsNullOrEmpty(Header.BackingFile);
        if (hasBacking && Header.Version == 3)
        {
            // Without the zero flag the discarded range would show the backing file's data again.
            ReplaceWhole(clusterStart, Header.HasExtendedL2 ? new L2Entry(0, L2Entry.AllAllocatedMask << 32) : new L2Entry(L2Entry.ZeroFlag, 0));
            return;
        }
        ReplaceWhole(clusterStart, new L2Entry(0, 0));
    }

    private void WriteZeroBytes(long clusterStart, int within, int count)
    {
        var zeros = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            Array.Clear(zeros, 0, count);
            WriteCluster(clusterStart, within, zeros.AsSpan(0, count));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeros);
        }
    }

    /// <summary>Points a whole cluster at <paramref name="replacement"/> (no host cluster), then releases what it held.</summary>
    private void ReplaceWhole(long clusterStart, L2Entry replacement)
    {
        var l1 = new L1Entry(CurrentL1Entry(clusterStart >> L2CoverageBits));
        if (l1.L2TableOffset == 0 && replacement.Raw == 0 && replacement.Bitmap == 0)
        {
            return; // already unallocated
        }
        var slot = WritableSlot(clusterStart);
        var entry = ReadSlot(slot);
        if (entry == replacement)
        {
            return;
        }
        WriteSlot(slot, replacement);
        DeferRelease(entry);
    }

    private void WriteCompressedCluster(long clusterStart, ReadOnlySpan<byte> stream)
    {
        var slot = WritableSlot(clusterStart);
        var entry = ReadSlot(slot);
        var offset = AllocateCompressedBytes(stream.Length);
        _compressedCursor = offset + stream.Length;
        HostIo.Write(ImageFile, stream, offset, Options.WriteObserver, guestData: true);
        _barrier!.DataWritten();
        var descriptor = CompressedClusterDescriptor.ForStream(offset, stream.Length);
        WriteSlot(slot, new L2Entry(descriptor.ToEntry(Header.ClusterBits), 0));
        DeferRelease(entry);
        ReleaseCompressedCache();
    }

    /// <summary>
    /// Finds room for a compressed stream the way qemu's qcow2_alloc_bytes does: right after the previous
    /// stream; into the next cluster when that one is free and adjacent (the stream then spans both, and
    /// each gets a reference); otherwise at the start of a new cluster.
    /// </summary>
    private long AllocateCompressedBytes(int length)
    {
        var clusterBits = Header.ClusterBits;
        var clusterSize = (long)Header.ClusterSize;
        var cursor = _compressedCursor;
        var cursorCluster = cursor >> clusterBits;
        if (cursor != 0 && (cursor & Header.ClusterOffsetMask) != 0
            && _allocator!.Get(cursorCluster) < RefcountBlock.MaxRefcount(Header.RefcountOrder))
        {
            // As qemu: a cluster whose refcount is at its maximum takes no more streams.
            var free = clusterSize - (cursor & Header.ClusterOffsetMask);
            if (length <= free)
            {
                _allocator.Update(cursorCluster << clusterBits, 1);
                return cursor;
            }
            if (_allocator.TryAllocateAt(cursorCluster + 1))
            {
                _allocator.Update(cursorCluster << clusterBits, 1);
                return cursor;
            }
        }
        return _allocator!.Allocate(1);
    }

    /// <summary>Drops the references an entry held, once its replacement is stable on disk.</summary>
    private void Release(L2Entry old)
    {
        if (old.IsCompressed)
        {
            var descriptor = old.Compressed(Header.ClusterBits);
            var first = descriptor.HostOffset & ~(QcowLimits.CompressedSectorSize - 1L);
            var end = first + ((long)descriptor.SectorCount * QcowLimits.CompressedSectorSize);
            for (var cluster = first >> Header.ClusterBits; cluster <= (end - 1) >> Header.ClusterBits; cluster++)
            {
                Unref(cluster << Header.ClusterBits);
            }
            ReleaseCompressedCache();
            return;
        }
        if (!Header.HasExternalDataFile && old.HostOffset != 0)
        {
            Unref(old.HostOffset);
        }
    }

    private void Unref(long hostOffset)
    {
        var remaining = _allocator!.Update(hostOffset, -1);
        if (remaining == 0 && (_compressedCursor & ~Header.ClusterOffsetMask) == hostOffset)
        {
            // The cluster holding the compressed cursor is free again: never pack into it.
            _compressedCursor = 0;
        }
    }

    /// <summary>One L2 entry of an L2 table the writer owns.</summary>
    private readonly record struct L2Slot(long TableOffset, ulong[] Table, int Index);
}
