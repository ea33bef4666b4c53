namespace QcowKit.Format;

/// <summary>Header extension magics (docs/interop/qcow2.txt, "Header extensions").</summary>
public enum HeaderExtensionType : uint
{
    /// <summary>End of the header extension area.</summary>
    End = 0x00000000,
    /// <summary>Backing file format name.</summary>
    BackingFileFormat = 0xE2792ACA,
    /// <summary>Feature name table.</summary>
    FeatureNameTable = 0x6803F857,
    /// <summary>Bitmaps extension: where the bitmap directory is.</summary>
    Bitmaps = 0x23852875,
    /// <summary>Full disk encryption header pointer.</summary>
    FullDiskEncryption = 0x0537BE77,
    /// <summary>External data file name.</summary>
    ExternalDataFile = 0x44415441,
}
