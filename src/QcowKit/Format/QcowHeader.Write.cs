using System.Buffers.Binary;
using System.Text;

namespace QcowKit.Format;

public sealed partial class QcowHeader
{
    /// <summary>
    /// The header cluster as a rewrite in place writes it: qemu leaves the feature name table out when the header
    /// would not fit otherwise, and so does this.
    /// </summary>
    /// <exception cref="InvalidOperationException">The header does not fit in one cluster even without the table.</exception>
    internal byte[] ToCluster()
    {
        var cluster = new byte[ClusterSize];
        try
        {
            Write(cluster);
        }
        catch (InvalidOperationException) when (FeatureNameTable.Count > 0)
        {
            FeatureNameTable = [];
            Write(cluster);
        }
        return cluster;
    }

    /// <summary>
    /// Serializes the header, its extensions (in qemu's order: backing format, external data file,
    /// encryption pointer, bitmaps, feature name table, unknown ones, end marker) and the backing
    /// file name into the first cluster. Updates <see cref="HeaderLength"/>,
    /// <see cref="BackingFileOffset"/> and <see cref="BackingFileSize"/> to what was written.
    /// </summary>
    /// <param name="destination">At least one cluster; the whole cluster is overwritten.</param>
    /// <returns>Bytes of the cluster used.</returns>
    public int Write(Span<byte> destination)
    {
        if (destination.Length < ClusterSize)
        {
            throw new ArgumentException($"The destination must hold one cluster ({ClusterSize} bytes).", nameof(destination));
        }
        if (Version is not (2 or 3))
        {
            throw new InvalidOperationException($"Cannot write a version {Version} header.");
        }
        var cluster = destination[..ClusterSize];
        cluster.Clear();
        HeaderLength = Version == 2
            ? HeaderFieldOffsets.Version2HeaderLength
            : (uint)(HeaderFieldOffsets.Version3HeaderLength + UnknownHeaderFields.Length);

        var offset = (int)HeaderLength;
        if (BackingFormat is not null)
        {
            offset = WriteExtension(cluster, offset, HeaderExtensionType.BackingFileFormat, Encoding.UTF8.GetBytes(BackingFormat));
        }
        if (ExternalDataFile is not null)
        {
            offset = WriteExtension(cluster, offset, HeaderExtensionType.ExternalDataFile, Encoding.UTF8.GetBytes(ExternalDataFile));
        }
        if (FullDiskEncryption is { } encryption)
        {
            var body = new byte[FullDiskEncryptionExtension.Size];
            encryption.Write(body);
            offset = WriteExtension(cluster, offset, HeaderExtensionType.FullDiskEncryption, body);
        }
        if (Bitmaps is { } bitmaps)
        {
            var body = new byte[BitmapsExtension.Size];
            bitmaps.Write(body);
            offset = WriteExtension(cluster, offset, HeaderExtensionType.Bitmaps, body);
        }
        if (FeatureNameTable.Count > 0)
        {
            var body = new byte[FeatureNameTableEntry.TableSize(FeatureNameTable.Count)];
            FeatureNameTableEntry.WriteTable(FeatureNameTable, body);
            offset = WriteExtension(cluster, offset, HeaderExtensionType.FeatureNameTable, body);
        }
        foreach (var extension in UnknownExtensions)
        {
            offset = WriteExtension(cluster, offset, (HeaderExtensionType)extension.Type, extension.Data);
        }
        offset = WriteExtension(cluster, offset, HeaderExtensionType.End, []);

        if (BackingFile is not null)
        {
            var name = Encoding.UTF8.GetBytes(BackingFile);
            if (name.Length > QcowLimits.MaxBackingFileNameLength || offset + name.Length > ClusterSize)
            {
                throw new InvalidOperationException($"The backing file name ({name.Length} bytes) does not fit in the header cluster.");
            }
            BackingFileOffset = (ulong)offset;
            BackingFileSize = (uint)name.Length;
            name.CopyTo(cluster[offset..]);
            offset += name.Length;
        }
        else
        {
            BackingFileOffset = 0;
            BackingFileSize = 0;
        }

        BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.Magic..], QcowLimits.Magic);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.Version..], Version);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[HeaderFieldOffsets.BackingFileOffset..], BackingFileOffset);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.BackingFileSize..], BackingFileSize);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.ClusterBits..], (uint)ClusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[HeaderFieldOffsets.Size..], Size);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.CryptMethod..], CryptMethod);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.L1Size..], L1Size);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[HeaderFieldOffsets.L1TableOffset..], L1TableOffset);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[HeaderFieldOffsets.RefcountTableOffset..], RefcountTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.RefcountTableClusters..], RefcountTableClusters);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.NbSnapshots..], NbSnapshots);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[HeaderFieldOffsets.SnapshotsOffset..], SnapshotsOffset);
        if (Version == 3)
        {
            BinaryPrimitives.WriteUInt64BigEndian(cluster[HeaderFieldOffsets.IncompatibleFeatures..], (ulong)IncompatibleFeatures);
            BinaryPrimitives.WriteUInt64BigEndian(cluster[HeaderFieldOffsets.CompatibleFeatures..], (ulong)CompatibleFeatures);
            BinaryPrimitives.WriteUInt64BigEndian(cluster[HeaderFieldOffsets.AutoclearFeatures..], (ulong)AutoclearFeatures);
            BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.RefcountOrder..], (uint)RefcountOrder);
            BinaryPrimitives.WriteUInt32BigEndian(cluster[HeaderFieldOffsets.HeaderLength..], HeaderLength);
            cluster[HeaderFieldOffsets.CompressionType] = (byte)CompressionType;
            UnknownHeaderFields.CopyTo(cluster[HeaderFieldOffsets.Version3HeaderLength..]);
        }
        return offset;
    }

    private int WriteExtension(Span<byte> cluster, int offset, HeaderExtensionType type, ReadOnlySpan<byte> body)
    {
        var padded = (body.Length + 7) & ~7;
        if (offset + 8 + padded > ClusterSize)
        {
            throw new InvalidOperationException($"Header extension 0x{(uint)type:x8} does not fit in the header cluster.");
        }
        BinaryPrimitives.WriteUInt32BigEndian(cluster[offset..], (uint)type);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[(offset + 4)..], (uint)body.Length);
        body.CopyTo(cluster[(offset + 8)..]);
        return offset + 8 + padded;
    }
}
