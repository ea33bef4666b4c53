using System.Buffers.Binary;
using System.Text;
using QcowKit.Image.Files;

namespace QcowKit.Format;

public sealed partial class QcowHeader
{
    /// <summary>
    /// Reads and validates the header cluster of an open file. Applies every rule qemu's
    /// qcow2_do_open enforces, in qemu's order, plus bounds against the file's length, before
    /// anything is allocated from a header value.
    /// </summary>
    internal static QcowHeader Read(HostFile file, long fileLength, QcowHeaderRules rules = QcowHeaderRules.Open)
    {
        // A file shorter than the header reads as zeros past its end, as in qemu, which then names the field that is wrong.
        Span<byte> fixedFields = stackalloc byte[HeaderFieldOffsets.Version3HeaderLength];
        file.ReadPadded(fixedFields, 0);
        ValidateIdentity(fixedFields);
        var clusterBits = (int)BinaryPrimitives.ReadUInt32BigEndian(fixedFields[HeaderFieldOffsets.ClusterBits..]);
        // Bounded: cluster_bits is at most 21 here, so this is at most 2 MiB whatever the file says.
        var cluster = new byte[1 << clusterBits];
        file.ReadPadded(cluster, 0);
        return Parse(cluster, fileLength, rules);
    }

    private static void ValidateIdentity(ReadOnlySpan<byte> header)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (magic != QcowLimits.Magic)
        {
            throw new QcowFormatException("magic", HeaderFieldOffsets.Magic, $"must be 0x514649fb (\"QFI\\xfb\"), is 0x{magic:x8}: the image is not in qcow2 format");
        }
        var version = BinaryPrimitives.ReadUInt32BigEndian(header[HeaderFieldOffsets.Version..]);
        if (version is < 2 or > 3)
        {
            throw new QcowFormatException("version", HeaderFieldOffsets.Version, $"must be 2 or 3, is {version} (unsupported qcow2 version)");
        }
        var clusterBits = BinaryPrimitives.ReadUInt32BigEndian(header[HeaderFieldOffsets.ClusterBits..]);
        if (clusterBits is < QcowLimits.MinClusterBits or > QcowLimits.MaxClusterBits)
        {
            throw new QcowFormatException("cluster_bits", HeaderFieldOffsets.ClusterBits, $"must be {QcowLimits.MinClusterBits}..{QcowLimits.MaxClusterBits} (512 B to 2 MiB clusters), is {clusterBits}");
        }
    }

    /// <summary>
    /// Parses and validates a header from the file's first cluster (zero-padded where the file is shorter), with the
    /// rules every reader applies (qemu's qcow2_do_open): an image qemu refuses to open is refused here too.
    /// </summary>
    /// <param name="cluster">The first cluster of the file; at least one cluster long.</param>
    /// <param name="fileLength">The image file's length, for bounds checks.</param>
    /// <returns>The header, its extensions and its backing file name.</returns>
    /// <exception cref="QcowFormatException">A field breaks a rule of the format; the message names it and its offset.</exception>
    public static QcowHeader Parse(ReadOnlySpan<byte> cluster, long fileLength) => Parse(cluster, fileLength, QcowHeaderRules.Open);

    /// <summary>Parses and validates a header from the file's first cluster (zero-padded where the file is shorter).</summary>
    /// <param name="cluster">The first cluster of the file; at least one cluster long.</param>
    /// <param name="fileLength">The image file's length, for bounds checks.</param>
    /// <param name="rules">
    /// <see cref="QcowHeaderRules.Open"/> (the default) for every reader, <see cref="QcowHeaderRules.Write"/> for writers;
    /// <see cref="QcowHeaderRules.Check"/> only for the checker, which reads whatever the header points at itself.
    /// </param>
    internal static QcowHeader Parse(ReadOnlySpan<byte> cluster, long fileLength, QcowHeaderRules rules)
    {
        if (cluster.Length < HeaderFieldOffsets.Version3HeaderLength)
        {
            throw new ArgumentException("The header buffer must hold at least 112 bytes.", nameof(cluster));
        }
        ValidateIdentity(cluster);
        var h = new QcowHeader
        {
            Version = U32(cluster, HeaderFieldOffsets.Version),
            BackingFileOffset = U64(cluster, HeaderFieldOffsets.BackingFileOffset),
            BackingFileSize = U32(cluster, HeaderFieldOffsets.BackingFileSize),
            ClusterBits = (int)U32(cluster, HeaderFieldOffsets.ClusterBits),
            Size = U64(cluster, HeaderFieldOffsets.Size),
            CryptMethod = U32(cluster, HeaderFieldOffsets.CryptMethod),
            L1Size = U32(cluster, HeaderFieldOffsets.L1Size),
            L1TableOffset = U64(cluster, HeaderFieldOffsets.L1TableOffset),
            RefcountTableOffset = U64(cluster, HeaderFieldOffsets.RefcountTableOffset),
            RefcountTableClusters = U32(cluster, HeaderFieldOffsets.RefcountTableClusters),
            NbSnapshots = U32(cluster, HeaderFieldOffsets.NbSnapshots),
            SnapshotsOffset = U64(cluster, HeaderFieldOffsets.SnapshotsOffset),
        };
        var clusterSize = h.ClusterSize;
        if (cluster.Length < clusterSize)
        {
            throw new ArgumentException("The header buffer must hold the whole first cluster.", nameof(cluster));
        }

        uint refcountOrder;
        if (h.Version == 2)
        {
            h.HeaderLength = HeaderFieldOffsets.Version2HeaderLength;
            refcountOrder = 4;
        }
        else
        {
            h.IncompatibleFeatures = (IncompatibleFeatures)U64(cluster, HeaderFieldOffsets.IncompatibleFeatures);
            h.CompatibleFeatures = (CompatibleFeatures)U64(cluster, HeaderFieldOffsets.CompatibleFeatures);
            h.AutoclearFeatures = (AutoclearFeatures)U64(cluster, HeaderFieldOffsets.AutoclearFeatures);
            refcountOrder = U32(cluster, HeaderFieldOffsets.RefcountOrder);
            h.HeaderLength = U32(cluster, HeaderFieldOffsets.HeaderLength);
            if (h.HeaderLength < HeaderFieldOffsets.Version3MinimumHeaderLength)
            {
                throw new QcowFormatException("header_length", HeaderFieldOffsets.HeaderLength, $"must be at least {HeaderFieldOffsets.Version3MinimumHeaderLength} for version 3, is {h.HeaderLength} (header too short)");
            }
        }
        if (h.HeaderLength > clusterSize)
        {
            throw new QcowFormatException("header_length", HeaderFieldOffsets.HeaderLength, $"{h.HeaderLength} exceeds the cluster size {clusterSize}");
        }
        if (h.HeaderLength > HeaderFieldOffsets.Version3HeaderLength)
        {
            h.UnknownHeaderFields = cluster[HeaderFieldOffsets.Version3HeaderLength..(int)h.HeaderLength].ToArray();
        }
        if (h.BackingFileOffset > (ulong)clusterSize)
        {
            throw new QcowFormatException("backing_file_offset", HeaderFieldOffsets.BackingFileOffset, $"{h.BackingFileOffset} is beyond the first cluster ({clusterSize} bytes)");
        }
        var extensionsEnd = h.BackingFileOffset != 0 ? (int)h.BackingFileOffset : clusterSize;

        ValidateCompressionType(h, cluster);

        var unknownIncompatible = (ulong)h.IncompatibleFeatures & ~(ulong)KnownIncompatible;
        if (unknownIncompatible != 0)
        {
            var table = TryReadFeatureTable(cluster, (int)h.HeaderLength, extensionsEnd);
            throw new QcowFormatException("incompatible_features", HeaderFieldOffsets.IncompatibleFeatures,
                $"unsupported incompatible feature(s): {FeatureNameTableEntry.Describe(table, FeatureType.Incompatible, unknownIncompatible)}");
        }
        if (h.HasExtendedL2 && clusterSize / QcowLimits.SubclustersPerCluster < (1 << QcowLimits.MinClusterBits))
        {
            throw new QcowFormatException("incompatible_features", HeaderFieldOffsets.IncompatibleFeatures,
                $"extended L2 entries need clusters of at least 16 KiB (subclusters of 512 bytes); the subcluster size would be {clusterSize / QcowLimits.SubclustersPerCluster}");
        }
        if (refcountOrder > 6)
        {
            throw new QcowFormatException("refcount_order", HeaderFieldOffsets.RefcountOrder, $"must be at most 6 (64-bit refcounts), is {refcountOrder}");
        }
        h.RefcountOrder = (int)refcountOrder;
        if (h.CryptMethod > 2)
        {
            throw new QcowFormatException("crypt_method", HeaderFieldOffsets.CryptMethod, $"must be 0 (none), 1 (AES) or 2 (LUKS), is {h.CryptMethod}");
        }

        // Readers and the check read tables past the end of the file as zeros (so no file length bound); the check validates the snapshot table itself.
        var bound = rules == QcowHeaderRules.Write ? fileLength : (long?)null;
        ValidateRefcountTable(h, bound, allowEmpty: rules == QcowHeaderRules.Check);
        if (rules != QcowHeaderRules.Check)
        {
            ValidateSnapshotTable(h, bound);
        }
        ValidateL1Table(h, bound);

        ReadExtensions(h, cluster, extensionsEnd);

        if (!h.HasExternalDataFile && h.DataFileIsRaw)
        {
            throw new QcowFormatException("autoclear_features", HeaderFieldOffsets.AutoclearFeatures, "the raw external data bit requires the external data file incompatible bit");
        }
        if (h.BackingFileOffset != 0)
        {
            var limit = Math.Min(QcowLimits.MaxBackingFileNameLength, clusterSize - (int)h.BackingFileOffset);
            if (h.BackingFileSize > limit)
            {
                throw new QcowFormatException("backing_file_size", HeaderFieldOffsets.BackingFileSize, $"{h.BackingFileSize} exceeds {limit} bytes (backing file name too long or past the first cluster)");
            }
            // qemu treats the name as a C string: it ends at the first NUL.
            h.BackingFile = NulTerminated(cluster.Slice((int)h.BackingFileOffset, (int)h.BackingFileSize));
        }
        return h;
    }

    private const IncompatibleFeatures KnownIncompatible = IncompatibleFeatures.Dirty | IncompatibleFeatures.Corrupt |
        IncompatibleFeatures.ExternalDataFile | IncompatibleFeatures.CompressionType | IncompatibleFeatures.ExtendedL2;

    private static void ValidateCompressionType(QcowHeader h, ReadOnlySpan<byte> cluster)
    {
        var raw = h.HeaderLength > HeaderFieldOffsets.CompressionType ? cluster[HeaderFieldOffsets.CompressionType] : (byte)0;
        if (raw > (byte)CompressionType.Zstd)
        {
            throw new QcowFormatException("compression_type", HeaderFieldOffsets.CompressionType, $"unknown compression type {raw} (0 is deflate, 1 is zstd)");
        }
        h.CompressionType = (CompressionType)raw;
        var bit = (h.IncompatibleFeatures & IncompatibleFeatures.CompressionType) != 0;
        if (h.CompressionType == CompressionType.Deflate && bit)
        {
            throw new QcowFormatException("incompatible_features", HeaderFieldOffsets.IncompatibleFeatures, "the compression type bit (3) must not be set when compression_type is deflate or absent");
        }
        if (h.CompressionType != CompressionType.Deflate && !bit)
        {
            throw new QcowFormatException("incompatible_features", HeaderFieldOffsets.IncompatibleFeatures, "the compression type bit (3) must be set when compression_type is not deflate");
        }
    }

    private static void ValidateTable(QcowHeader h, ulong offset, ulong entries, ulong entryLength, ulong maxBytes,
        string sizeField, int sizeFieldOffset, string offsetField, int offsetFieldOffset, long? fileLength, string table)
    {
        if (entries > maxBytes / entryLength)
        {
            throw new QcowFormatException(sizeField, sizeFieldOffset, $"the {table} is too large: {entries} entries exceed the limit of {maxBytes} bytes");
        }
        var bytes = entries * entryLength;
        if ((ulong)long.MaxValue - bytes < offset || (offset & (ulong)h.ClusterOffsetMask) != 0)
        {
            throw new QcowFormatException(offsetField, offsetFieldOffset, $"the {table} offset {offset} is not cluster-aligned or exceeds the maximum image size");
        }
        // Writers only, stricter than qemu (which reads zeros past the end of the file): a table that does not fit in the file is refused.
        if (fileLength is not null && bytes > 0 && offset + bytes > (ulong)fileLength.Value)
        {
            throw new QcowFormatException(offsetField, offsetFieldOffset, $"the {table} ({bytes} bytes at {offset}) extends past the end of the file ({fileLength} bytes)");
        }
    }

    private static void ValidateRefcountTable(QcowHeader h, long? fileLength, bool allowEmpty)
    {
        if (h.RefcountTableClusters == 0 && !allowEmpty)
        {
            throw new QcowFormatException("refcount_table_clusters", HeaderFieldOffsets.RefcountTableClusters, "must not be 0: the image does not contain a reference count table");
        }
        ValidateTable(h, h.RefcountTableOffset, h.RefcountTableClusters, (ulong)h.ClusterSize, QcowLimits.MaxRefcountTableBytes,
            "refcount_table_clusters", HeaderFieldOffsets.RefcountTableClusters, "refcount_table_offset", HeaderFieldOffsets.RefcountTableOffset, fileLength, "reference count table");
    }

    private static void ValidateSnapshotTable(QcowHeader h, long? fileLength)
    {
        ValidateTable(h, h.SnapshotsOffset, h.NbSnapshots, QcowLimits.SnapshotHeaderSize, (ulong)QcowLimits.SnapshotHeaderSize * QcowLimits.MaxSnapshots,
            "nb_snapshots", HeaderFieldOffsets.NbSnapshots, "snapshots_offset", HeaderFieldOffsets.SnapshotsOffset, fileLength, "snapshot table");
    }

    private static void ValidateL1Table(QcowHeader h, long? fileLength)
    {
        ValidateTable(h, h.L1TableOffset, h.L1Size, 8, QcowLimits.MaxL1SizeBytes,
            "l1_size", HeaderFieldOffsets.L1Size, "l1_table_offset", HeaderFieldOffsets.L1TableOffset, fileLength, "active L1 table");
        var required = h.RequiredL1Entries;
        if (required > int.MaxValue)
        {
            throw new QcowFormatException("size", HeaderFieldOffsets.Size, $"the virtual size {h.Size} is too big (it needs {required} L1 entries)");
        }
        if (h.L1Size < required)
        {
            throw new QcowFormatException("l1_size", HeaderFieldOffsets.L1Size, $"{h.L1Size} entries are too few for the virtual size {h.Size}, which needs {required}");
        }
    }

    private static List<FeatureNameTableEntry> TryReadFeatureTable(ReadOnlySpan<byte> cluster, int start, int end)
    {
        // qemu reads the table leniently just to name unknown bits; a broken extension area must not hide the real error.
        var offset = start;
        while (offset + 8 <= end)
        {
            var type = U32(cluster, offset);
            var length = U32(cluster, offset + 4);
            offset += 8;
            if (type == (uint)HeaderExtensionType.End || length > (uint)(end - offset))
            {
                break;
            }
            if (type == (uint)HeaderExtensionType.FeatureNameTable)
            {
                return FeatureNameTableEntry.ReadTable(cluster.Slice(offset, (int)length));
            }
            offset += (int)((length + 7) & ~7u);
        }
        return [];
    }

    private static void ReadExtensions(QcowHeader h, ReadOnlySpan<byte> cluster, int end)
    {
        var offset = (int)h.HeaderLength;
        while (offset < end)
        {
            var extensionOffset = offset;
            if (offset + 8 > cluster.Length)
            {
                throw new QcowFormatException("header extension", extensionOffset, "the extension header does not fit in the first cluster");
            }
            var type = U32(cluster, offset);
            var length = U32(cluster, offset + 4);
            offset += 8;
            if (offset > end || length > (uint)(end - offset))
            {
                throw new QcowFormatException("header extension length", extensionOffset + 4,
                    $"extension 0x{type:x8} of {length} bytes at {extensionOffset} runs past the end of the extension area ({end}): header extension too large");
            }
            var data = cluster.Slice(offset, (int)length);
            switch ((HeaderExtensionType)type)
            {
                case HeaderExtensionType.End:
                    return;
                case HeaderExtensionType.BackingFileFormat:
                    if (length > QcowLimits.MaxBackingFormatLength)
                    {
                        throw new QcowFormatException("backing file format extension length", extensionOffset + 4, $"{length} bytes is too long (at most {QcowLimits.MaxBackingFormatLength})");
                    }
                    h.BackingFormat = NulTerminated(data);
                    break;
                case HeaderExtensionType.FeatureNameTable:
                    h.FeatureNameTable = FeatureNameTableEntry.ReadTable(data);
                    break;
                case HeaderExtensionType.FullDiskEncryption:
                    if (h.CryptMethod != 2)
                    {
                        throw new QcowFormatException("full disk encryption extension", extensionOffset, "a CRYPTO header extension is only expected with the LUKS encryption method (crypt_method 2)");
                    }
                    h.FullDiskEncryption = FullDiskEncryptionExtension.Read(data, offset, h.ClusterSize);
                    break;
                case HeaderExtensionType.Bitmaps:
                    if ((h.AutoclearFeatures & AutoclearFeatures.Bitmaps) == 0)
                    {
                        // qemu ignores (and on a write drops) a bitmaps extension whose autoclear bit was cleared by a program lacking bitmap support.
                        if (length != BitmapsExtension.Size)
                        {
                            throw new QcowFormatException("bitmaps extension length", extensionOffset + 4, $"must be {BitmapsExtension.Size} bytes, is {length}");
                        }
                        break;
                    }
                    h.Bitmaps = BitmapsExtension.Read(data, offset, h.ClusterSize);
                    break;
                case HeaderExtensionType.ExternalDataFile:
                    h.ExternalDataFile = NulTerminated(data);
                    break;
                default:
                    h.UnknownExtensions.Add(new HeaderExtension(type, data.ToArray(), extensionOffset));
                    break;
            }
            offset += (int)((length + 7) & ~7u);
        }
    }

    private static string NulTerminated(ReadOnlySpan<byte> data)
    {
        var end = data.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? data[..end] : data);
    }

    private static uint U32(ReadOnlySpan<byte> source, int offset) => BinaryPrimitives.ReadUInt32BigEndian(source[offset..]);

    private static ulong U64(ReadOnlySpan<byte> source, int offset) => BinaryPrimitives.ReadUInt64BigEndian(source[offset..]);
}
