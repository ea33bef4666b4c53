using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using QcowKit.Format;
using QcowKit.Image;
using QcowKit.Image.Files;
using QcowKit.Image.Writing;
using QcowKit.Image.Locking;

namespace QcowKit.Create;

/// <summary>
/// Lays out a new image the way qemu-img create does: header (and its extensions) in cluster 0, a one-cluster
/// refcount table in cluster 1, the first refcount block in cluster 2, then the L1 table and, with
/// preallocation, each L2 table followed by the data clusters it maps.
/// </summary>
internal static partial class QcowCreator
{
        private const ulong L2Copied = 1UL << 63;

    /// <summary>Validates <paramref name="options"/>, resolves the size and writes the image. Returns the options as used.</summary>
    /// <param name="path">The image file to write (replaced if it exists).</param>
    /// <param name="options">qemu's create options.</param>
    /// <param name="dataFileWritePath">Where to write the external data file the header names, when that is elsewhere (an incomplete output).</param>
    /// <param name="cancellationToken">Observed between the clusters a full preallocation writes.</param>
    public static QcowCreateOptions Create(string path, QcowCreateOptions options, string? dataFileWritePath = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var o = Resolve(path, options);
        // Built before any file is touched: options that do not fit a header refuse with the files untouched.
        var header = BuildHeader(o);
        HostFile? image = null;
        HostFile? data = null;
        try
        {
            // Both files are locked before either is truncated: a file another process uses is refused untouched.
            image = new HandleHostFile(LockedFile.OpenForReplacing(path, path, ImageLockMode.Write));
            if (o.DataFile is not null)
            {
                // qemu resolves data file names against the current directory (see NOTES.md); so do we.
                // An incomplete output's data file is new and private; a data file written in place is locked first.
                data = new HandleHostFile(dataFileWritePath is not null
                    ? File.OpenHandle(dataFileWritePath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read)
                    : LockedFile.OpenForReplacing(o.DataFile, o.DataFile, ImageLockMode.DataFileWrite));
                data.SetLength(0);
                SetLength(data, o.DataFile, o.Size!.Value);
            }
            Lay(image, data, path, o, header, cancellationToken);
        }
        finally
        {
            data?.Dispose();
            image?.Dispose();
        }
        return o;
    }

    /// <summary>
    /// Writes a new image over <paramref name="file"/> (a caller's stream), replacing its bytes. Such an image has no
    /// folder and no neighbours, so it may name neither a backing file nor an external data file.
    /// </summary>
    public static QcowCreateOptions Create(HostFile file, QcowCreateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BackingFile is not null || options.DataFile is not null)
        {
            throw new QcowOptionsException(
                $"An image created onto a stream cannot name a {(options.BackingFile is not null ? "backing file" : "data file")}: a stream cannot lead to other files (create it by path)");
        }
        var o = Resolve(QcowImage.StreamFileName, options);
        Lay(file, null, QcowImage.StreamFileName, o, BuildHeader(o), cancellationToken);
        return o;
    }

    /// <summary>A validated copy of <paramref name="options"/> with its size resolved (from the backing file when none is given) and rounded.</summary>
    private static QcowCreateOptions Resolve(string path, QcowCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Clone();
        o.Validate();
        if (o.Size is null)
        {
            if (o.BackingFile is null || o.Unsafe) throw new QcowOptionsException("Image creation needs a size parameter");
            o.Size = BackingSize(path, o);
            o.Validate();
        }
        else if (o.BackingFile is not null && !o.Unsafe)
        {
            // qemu-img opens the backing file even when the size is given; a missing one is refused before anything is written.
            BackingSize(path, o);
        }
        o.Size = QcowCreateOptions.RoundedSize(o.Size.Value);
        return o;
    }

    /// <summary>
    /// Lays out the image in <paramref name="file"/> (truncated first) and its preallocated data in <paramref name="dataFile"/>
    /// (already sized) or the image; <paramref name="path"/> names the image in errors.
    /// </summary>
    private static void Lay(HostFile file, HostFile? dataFile, string path, QcowCreateOptions o, QcowHeader header, CancellationToken cancellationToken)
    {
        var size = o.Size!.Value;
        // A raw data file must map every guest cluster to itself, so qemu preallocates the metadata for it.
        var preallocation = o.DataFileRaw && o.Preallocation == QcowPreallocation.Off ? QcowPreallocation.Metadata : o.Preallocation;

        var clusterBits = BitOperations.Log2((ulong)o.ClusterSize);
        var clusterSize = 1L << clusterBits;
        var refcountOrder = BitOperations.Log2((ulong)o.RefcountBits);

        file.SetLength(0);
        var start = new byte[3 * clusterSize];
        BinaryPrimitives.WriteUInt64BigEndian(start.AsSpan((int)clusterSize), (ulong)(2 * clusterSize));
        for (var c = 0; c < 3; c++)
        {
            RefcountBlock.Set(start.AsSpan((int)(2 * clusterSize)), c, refcountOrder, 1);
        }
        file.Write(start, 0);
        var table = new long[clusterSize / 8];
        table[0] = 2 * clusterSize;
        var allocator = new RefcountAllocator(file, clusterBits, refcountOrder, clusterSize, 1, table);

        var l1Entries = o.L1Entries(size);
        var l1Offset = 0L;
        var end = 3 * clusterSize;
        if (l1Entries > 0)
        {
            var l1Clusters = (l1Entries * 8 + clusterSize - 1) / clusterSize;
            l1Offset = allocator.Allocate(l1Clusters);
            var l1 = new long[l1Entries];
            if (preallocation != QcowPreallocation.Off)
            {
                end = Preallocate(file, dataFile, allocator, o, preallocation, clusterBits, size, l1, cancellationToken);
            }
            var l1Bytes = new byte[l1Entries * 8];
            for (var i = 0; i < l1.Length; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(l1Bytes.AsSpan(i * 8), (ulong)l1[i]);
            }
            file.Write(l1Bytes, l1Offset);
            end = Math.Max(end, l1Offset + l1Bytes.Length);
        }

        header.Size = (ulong)size;
        header.L1Size = (uint)l1Entries;
        header.L1TableOffset = (ulong)l1Offset;
        header.RefcountTableOffset = (ulong)allocator.TableOffset;
        header.RefcountTableClusters = (uint)allocator.TableClusters;
        var headerCluster = new byte[clusterSize];
        var used = header.Write(headerCluster);
        file.Write(headerCluster.AsSpan(0, used), 0);
        if (file.Length < end) SetLength(file, path, end);
        file.FlushToDisk();
        dataFile?.FlushToDisk();
    }

    /// <summary>Sets a length, with qemu's wording for a file system's refusal when <paramref name="file"/> is a file.</summary>
    private static void SetLength(HostFile file, string path, long length)
    {
        if (file.OsHandle is { } handle)
        {
            HostFiles.SetLength(handle, path, length);
        }
        else
        {
            file.SetLength(length);
        }
    }

    /// <summary>The header of the new image (sizes and table offsets are filled in once known).</summary>
    private static QcowHeader BuildHeader(QcowCreateOptions o)
    {
        var clusterBits = BitOperations.Log2((ulong)o.ClusterSize);
        var refcountOrder = BitOperations.Log2((ulong)o.RefcountBits);
        var v3 = o.Compat == QcowCompat.V3;
        var header = new QcowHeader
        {
            Version = v3 ? 3u : 2u,
            ClusterBits = clusterBits,
            RefcountOrder = refcountOrder,
            CompressionType = o.CompressionType,
            BackingFile = o.BackingFile,
            BackingFormat = o.BackingFormat,
            ExternalDataFile = o.DataFile,
        };
        if (v3)
        {
            if (o.DataFile is not null) header.IncompatibleFeatures |= IncompatibleFeatures.ExternalDataFile;
            if (o.CompressionType != CompressionType.Deflate) header.IncompatibleFeatures |= IncompatibleFeatures.CompressionType;
            if (o.ExtendedL2) header.IncompatibleFeatures |= IncompatibleFeatures.ExtendedL2;
            if (o.LazyRefcounts) header.CompatibleFeatures |= CompatibleFeatures.LazyRefcounts;
            if (o.DataFileRaw) header.AutoclearFeatures |= AutoclearFeatures.RawExternalData;
            header.FeatureNameTable = [.. FeatureNameTableEntry.QemuDefaults];
        }
        if (o.BackingFile is not null && Encoding.UTF8.GetByteCount(o.BackingFile) > QcowLimits.MaxBackingFileNameLength)
        {
            throw new QcowOptionsException("Backing file name too long");
        }
        var cluster = new byte[1 << clusterBits];
        try
        {
            header.Write(cluster);
        }
        catch (InvalidOperationException) when (header.FeatureNameTable.Count > 0)
        {
            // qemu leaves the feature name table out when it does not fit in the header cluster.
            header.FeatureNameTable = [];
        }
        try
        {
            header.Write(cluster);
        }
        catch (InvalidOperationException ex)
        {
            throw new QcowOptionsException($"The header, its extensions and the backing file name do not fit in one cluster ({cluster.Length} bytes)", ex);
        }
        return header;
    }

    /// <summary>
    /// Allocates every L2 table and data cluster, L2 table first and then the clusters it maps, as qemu's
    /// preallocation does. Returns the end of the data in the image file.
    /// </summary>
    private static long Preallocate(HostFile file, HostFile? dataFile, RefcountAllocator allocator, QcowCreateOptions o,
        QcowPreallocation preallocation, int clusterBits, long size, long[] l1, CancellationToken cancellationToken)
    {
        var clusterSize = 1L << clusterBits;
        var entrySize = o.ExtendedL2 ? 16 : 8;
        var l2Entries = clusterSize / entrySize;
        var guestClusters = (size + clusterSize - 1) >> clusterBits;
        var end = 0L;
        for (var l1Index = 0; l1Index < l1.Length; l1Index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var l2Offset = allocator.Allocate(1);
            var l2 = new byte[clusterSize];
            var first = l1Index * l2Entries;
            var count = Math.Min(l2Entries, guestClusters - first);
            long dataStart;
            if (dataFile is not null)
            {
                dataStart = first << clusterBits; // external data clusters sit at their guest offset
            }
            else
            {
                dataStart = allocator.Allocate(count);
            }
            for (var i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(l2.AsSpan((int)(i * entrySize)), (ulong)(dataStart + (i << clusterBits)) | L2Copied);
            }
            var dataBytes = count << clusterBits;
            var target = dataFile ?? file;
            switch (preallocation)
            {
                case QcowPreallocation.Full:
                    WriteZeros(target, dataStart, dataBytes, cancellationToken);
                    break;
                case QcowPreallocation.Falloc:
                    Reserve(target, dataStart, dataBytes);
                    break;
                default:
                    if (target.Length < dataStart + dataBytes) target.SetLength(dataStart + dataBytes);
                    break;
            }
            file.Write(l2, l2Offset);
            l1[l1Index] = (long)((ulong)l2Offset | L2Copied);
            end = Math.Max(end, Math.Max(l2Offset + clusterSize, dataFile is null ? dataStart + dataBytes : 0));
        }
        return end;
    }

    private static void WriteZeros(HostFile file, long offset, long length, CancellationToken cancellationToken = default)
    {
        var zeros = new byte[Math.Min(length, 1 << 20)];
        for (var done = 0L; done < length; done += zeros.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            file.Write(zeros.AsSpan(0, (int)Math.Min(zeros.Length, length - done)), offset + done);
        }
    }

    /// <summary>Reserves file system space without writing (posix_fallocate on Linux; zeros elsewhere and in a stream).</summary>
    private static void Reserve(HostFile file, long offset, long length)
    {
        if (OperatingSystem.IsLinux() && file.OsHandle is { } handle && NativeMethods.posix_fallocate(handle, offset, length) == 0)
        {
            return;
        }
        WriteZeros(file, offset, length);
    }

    /// <summary>The virtual size of the backing file, for a create without a size.</summary>
    private static long BackingSize(string imagePath, QcowCreateOptions o)
    {
        var backing = o.BackingFile!;
        var resolved = Path.IsPathRooted(backing) ? backing : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(imagePath)) ?? ".", backing);
        if (!File.Exists(resolved))
        {
            throw new QcowOptionsException($"Could not open '{backing}': No such file or directory").WithSecondLine("Could not open backing image.");
        }
        if (o.BackingFormat == "raw") return new FileInfo(resolved).Length;
        using var handle = File.OpenHandle(resolved, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> head = stackalloc byte[32];
        if (RandomAccess.Read(handle, head, 0) < 32 || BinaryPrimitives.ReadUInt32BigEndian(head) != QcowLimits.Magic)
        {
            throw new QcowFormatException("magic", 0, $"backing file '{backing}': Image is not in qcow2 format");
        }
        var size = BinaryPrimitives.ReadUInt64BigEndian(head[24..]);
        if (size > long.MaxValue) throw new QcowFormatException("size", 24, "virtual size must not exceed 2^63 - 1");
        return (long)size;
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int posix_fallocate(SafeFileHandle fd, long offset, long len);
    }
}
