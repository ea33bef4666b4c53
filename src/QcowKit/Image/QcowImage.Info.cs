namespace QcowKit.Image;

public sealed partial class QcowImage
{
    /// <summary>What <c>qemu-img info</c> reports about this image.</summary>
    public QcowImageInfo GetInfo()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var h = Header;
        // qemu 7.2 counts the image file only, not the external data file.
        var actual = AllocatedHostBytes;
        return new QcowImageInfo
        {
            FileName = FileName,
            VirtualSize = VirtualSize,
            ClusterSize = ClusterSize,
            ActualSize = actual,
            DirtyFlag = h.IsDirty,
            BackingFileName = h.BackingFile is { Length: > 0 } ? h.BackingFile : null,
            FullBackingFileName = FullBackingFileName,
            BackingFileFormat = h.BackingFormat,
            Compat = h.Version == 2 ? QcowCompat.V2 : QcowCompat.V3,
            Version = (int)h.Version,
            CompressionType = h.CompressionType,
            LazyRefcounts = h.HasLazyRefcounts,
            RefcountBits = h.RefcountBits,
            Corrupt = h.IsCorrupt,
            ExtendedL2 = h.HasExtendedL2,
            HasExternalDataFile = h.HasExternalDataFile,
            DataFile = h.HasExternalDataFile && !string.IsNullOrEmpty(h.ExternalDataFile) ? h.ExternalDataFile : null,
            DataFileRaw = h.DataFileIsRaw,
            Encrypted = h.CryptMethod != 0,
            IncompatibleFeatures = h.IncompatibleFeatures,
            CompatibleFeatures = h.CompatibleFeatures,
            AutoclearFeatures = h.AutoclearFeatures,
            Bitmaps = Bitmaps,
            Snapshots = Snapshots,
        };
    }
}
