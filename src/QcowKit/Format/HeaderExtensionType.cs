namespace QcowKit.Format;

/// <summary>Header extension magics (docs/interop/qcow2.txt, "Header extensions").</summary>
internal enum HeaderExtensionType : uint
{
    End = 0x00000000,
    BackingFileFormat = 0xE2792ACA,
    FeatureNameTable = 0x6803F857,
    Bitmaps = 0x23852875,
    FullDiskEncryption = 0x0537BE77,
    ExternalDataFile = 0x44415441,
}
