using System.Buffers.Binary;
using QcowKit.Compression;
using QcowKit.Format;
using QcowKit.Image.Locking;
using QcowKit.Image.Files;

namespace QcowKit.Image;

/// <summary>
/// A qcow2 image opened for reading (and, through the write engine, writing). Opening validates the
/// header as qemu does; guest reads resolve L1/L2 mappings through a bounded cache and follow the
/// backing chain. Reads at different offsets may run in parallel.
/// </summary>
public sealed partial class QcowImage : IVirtualDisk
{
    private readonly HostFile _imageFile;
    private HostFile? _dataFile;
    private bool _ownsDataFile;
    private readonly ClusterDecompressor _decompressor;
    private ulong[] _l1Table;
    private bool _disposed;

    private QcowImage(string fileName, string fullPath, HostFile file, QcowHeader header, QcowOpenOptions options)
    {
        FileName = fileName;
        FullPath = fullPath;
        _imageFile = file;
        Header = header;
        Options = options;
        _decompressor = new ClusterDecompressor(header.CompressionType);
        var tables = (int)Math.Clamp(options.L2CacheBytes / header.ClusterSize, 8, 4096);
        L2Cache = new L2TableCache(tables);
        _l1Table = [];
        _dataFile = file;
    }

    /// <summary>
    /// Opens a qcow2 image. Read-only unless <see cref="QcowOpenOptions.Access"/> says otherwise; a
    /// corrupt image opens read-only only, an encrypted one not at all.
    /// </summary>
    /// <exception cref="QcowFormatException">The image breaks a rule of the format (names field, offset and rule).</exception>
    /// <exception cref="QcowImageLockedException">
    /// Another process (a VM, qemu-io, qemu-nbd) holds the image, a backing file or the data file in a way qemu's image
    /// locks forbid for this open (a read while it writes, unless <see cref="QcowOpenOptions.ForceShare"/>; any write).
    /// </exception>
    public static QcowImage Open(string path, QcowOpenOptions? options = null) =>
        Open(path, options ?? QcowOpenOptions.ReadOnly, new HashSet<string>(StringComparer.Ordinal));

    internal static QcowImage Open(string path, QcowOpenOptions options, HashSet<string> chain)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RefuseForceShareWrite(options);
        var fullPath = Path.GetFullPath(path);
        var access = options.Writable ? FileAccess.ReadWrite : FileAccess.Read;
        var file = new HandleHostFile(LockedFile.Open(fullPath, path, access, options.ImageLockMode));
        return OpenOver(file, path, fullPath, options, chain);
    }

    /// <summary>
    /// Opens a qcow2 image held in a seekable <paramref name="stream"/> (e.g. a <see cref="MemoryStream"/> a test built),
    /// with the same engine, rules and exceptions as <see cref="Open(string, QcowOpenOptions?)"/>. Nothing is locked: a
    /// stream has no file other processes could open. The image has no file of its own, so <see cref="FileName"/> and
    /// <see cref="FullPath"/> are <see cref="StreamFileName"/>.
    /// </summary>
    /// <remarks>
    /// A stream cannot lead to other files, so an image that names a backing file or an external data file is refused
    /// unless <see cref="QcowOpenOptions.ExternalFiles"/> is <see cref="ExternalFilePolicy.Never"/> (metadata and info
    /// then work; guest reads that need the other file fail, as for a path opened that way).
    /// </remarks>
    /// <param name="stream">Readable and seekable; also writable when <paramref name="options"/> ask for write access.</param>
    /// <param name="options">As for a path; the lock options are ignored. Null opens read-only.</param>
    /// <param name="leaveOpen">
    /// True to leave <paramref name="stream"/> open when the image is disposed (as <see cref="StreamReader"/>'s option).
    /// An open that throws never closes the stream.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot read or seek.</exception>
    /// <exception cref="QcowOptionsException">
    /// Write access was asked of a stream that cannot write, or the image names a backing file or external data file.
    /// </exception>
    /// <exception cref="QcowFormatException">The image breaks a rule of the format (names field, offset and rule).</exception>
    public static QcowImage Open(Stream stream, QcowOpenOptions? options = null, bool leaveOpen = false)
    {
        options ??= QcowOpenOptions.ReadOnly;
        RefuseForceShareWrite(options);
        // Until the image is open the stream stays the caller's: a failed open never closes it, whatever leaveOpen says.
        var file = new StreamHostFile(stream, leaveOpen: true);
        if (options.Writable && !file.CanWrite)
        {
            throw new QcowOptionsException("The stream is read-only (CanWrite is false); open it without write access or pass a writable stream");
        }
        var image = OpenOver(file, StreamFileName, StreamFileName, options, new HashSet<string>(StringComparer.Ordinal));
        if (!leaveOpen)
        {
            file.CloseStreamOnDispose();
        }
        return image;
    }

    /// <summary>The <see cref="FileName"/> and <see cref="FullPath"/> of an image opened over a stream (it has no file name).</summary>
    public const string StreamFileName = "<stream>";

    private static void RefuseForceShareWrite(QcowOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ForceShare && options.Writable)
        {
            throw new QcowOptionsException(QcowOpenOptions.ForceShareWithWriteMessage);
        }
    }

    /// <summary>The one open of every image, over a file or a stream; takes ownership of <paramref name="file"/>.</summary>
    private static QcowImage OpenOver(HostFile file, string fileName, string fullPath, QcowOpenOptions options, HashSet<string> chain)
    {
        QcowImage? image = null;
        try
        {
            var header = QcowHeader.Read(file, file.Length, options.Writable ? QcowHeaderRules.Write : QcowHeaderRules.Open);
            if (header.IsCorrupt && options.Writable)
            {
                throw new QcowFormatException("incompatible_features", HeaderFieldOffsets.IncompatibleFeatures,
                    "the image is marked corrupt (bit 1); it can only be opened read-only");
            }
            if (header.CryptMethod != 0)
            {
                throw new QcowFormatException("crypt_method", HeaderFieldOffsets.CryptMethod,
                    $"encryption is not supported (crypt_method {header.CryptMethod} is {(header.CryptMethod == 1 ? "AES" : "LUKS")})");
            }
            if (file.OsHandle is null && options.ExternalFiles != ExternalFilePolicy.Never)
            {
                RefuseExternalFilesOverStream(header, options.DataFile);
            }
            image = new QcowImage(fileName, fullPath, file, header, options);
            image.LoadMetadata();
            chain.Add(fullPath);
            image.OpenDataFile();
            image.Backing = image.OpenBacking(chain);
            return image;
        }
        catch
        {
            if (image is not null)
            {
                image.Dispose();
            }
            else
            {
                file.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// An image over a stream has no folder to resolve a backing file name against and no business opening host files
    /// on a test's behalf, so the files an image names are refused rather than looked up somewhere surprising.
    /// </summary>
    internal static void RefuseExternalFilesOverStream(QcowHeader header, string? dataFileOverride)
    {
        const string Remedy = "an image over a stream cannot open other files (open it with ExternalFiles = ExternalFilePolicy.Never to read its metadata only, or open it by path)";
        if (header.BackingFile is { Length: > 0 } backing)
        {
            throw new QcowOptionsException($"The image names the backing file '{backing}': {Remedy}");
        }
        if (header.HasExternalDataFile && (dataFileOverride ?? header.ExternalDataFile) is { Length: > 0 } data)
        {
            throw new QcowOptionsException($"The image names the external data file '{data}': {Remedy}");
        }
    }

    /// <summary>The file name as given to <see cref="Open(string, QcowOpenOptions?)"/>, or <see cref="StreamFileName"/>.</summary>
    public string FileName { get; }

    /// <summary>The image file's absolute path, or <see cref="StreamFileName"/>.</summary>
    public string FullPath { get; }

    /// <inheritdoc />
    public string FormatName => "qcow2";

    /// <inheritdoc />
    public long VirtualSize => (long)Header.Size;

    /// <summary>Cluster size in bytes.</summary>
    public int ClusterSize => Header.ClusterSize;

    /// <summary>The opened backing file, or null (none, or not opened by policy).</summary>
    public IVirtualDisk? Backing { get; private set; }

    /// <summary>The absolute path of the opened external data file, or null.</summary>
    public string? DataFilePath { get; private set; }

    /// <summary>The opened external data file's name as qemu opens it (relative to the current directory), or null.</summary>
    private string? _dataFileName;

    /// <summary>The internal snapshots.</summary>
    public IReadOnlyList<QcowSnapshotInfo> Snapshots { get; private set; } = [];

    /// <summary>The persistent dirty bitmaps.</summary>
    public IReadOnlyList<QcowBitmapInfo> Bitmaps { get; private set; } = [];

    /// <summary>The parsed header (internal: the writer and validator use it).</summary>
    internal QcowHeader Header { get; }

    internal QcowOpenOptions Options { get; }

    internal HostFile ImageFile => _imageFile;

    /// <summary>Where guest data lives: the external data file, or the image itself. Null when the data file was not opened by policy.</summary>
    internal HostFile? DataFile => _dataFile;

    internal L2TableCache L2Cache { get; }

    /// <summary>The active L1 table (host-endian). A writer replaces it via <see cref="ReplaceL1Table"/>.</summary>
    internal ReadOnlySpan<ulong> L1Table => _l1Table;

    internal ClusterDecompressor Decompressor => _decompressor;

    /// <summary>Parsed snapshot table entries (internal form, for the writer and validator).</summary>
    internal IReadOnlyList<SnapshotTableEntry> SnapshotEntries { get; private set; } = [];

    /// <summary>Parsed bitmap directory entries (internal form).</summary>
    internal IReadOnlyList<BitmapDirectoryEntry> BitmapEntries { get; private set; } = [];

    /// <summary>Bytes the image file occupies on disk, or null when unknown (always for a stream, which occupies no disk of its own).</summary>
    internal long? AllocatedHostBytes => _imageFile.OsHandle is null ? null : HostFileExtents.AllocatedSize(FullPath);

    /// <summary>Current length of the image file.</summary>
    internal long FileLength => _imageFile.Length;

    internal void ReplaceL1Table(ulong[] table) => _l1Table = table;

    private void LoadMetadata()
    {
        var fileLength = FileLength;
        var h = Header;
        // A writer's header check guarantees the L1 table lies inside the file; a reader's table may run past its
        // end, where it reads as zeros (unallocated): only the part the file holds is read, so the file bounds the allocation.
        _l1Table = ReadTable(h.L1TableOffset, Options.Writable ? (int)h.L1Size : EntriesInFile(h.L1TableOffset, h.L1Size, fileLength));
        var snapshots = SnapshotTableEntry.ReadTable(_imageFile, Options.Writable ? fileLength : null, h.SnapshotsOffset, h.NbSnapshots);
        SnapshotEntries = snapshots;
        Snapshots = snapshots.Select(s => new QcowSnapshotInfo(s.Id, s.Name, s.EffectiveVmStateSize, s.DateSeconds, s.DateNanoseconds,
            s.VmClockNanoseconds, s.DiskSize, s.Icount, s.L1Size)).ToArray();
        if (h.Bitmaps is { } ext)
        {
            if (ext.BitmapDirectoryOffset + ext.BitmapDirectorySize > (ulong)fileLength)
            {
                throw new QcowFormatException("bitmap_directory_offset", -1,
                    $"the bitmap directory ({ext.BitmapDirectorySize} bytes at {ext.BitmapDirectoryOffset}) extends past the end of the file ({fileLength} bytes)");
            }
            var directory = new byte[ext.BitmapDirectorySize];
            _imageFile.ReadPadded(directory, (long)ext.BitmapDirectoryOffset);
            var entries = BitmapDirectoryEntry.ReadDirectory(directory, (long)ext.BitmapDirectoryOffset, ext.NbBitmaps, h.ClusterSize);
            ValidateBitmapTables(entries, fileLength);
            BitmapEntries = entries;
            Bitmaps = entries.Select(e => new QcowBitmapInfo(e.Name, e.Granularity, (e.Flags & BitmapFlags.InUse) != 0,
                (e.Flags & BitmapFlags.Auto) != 0, (long)e.BitmapTableOffset, e.BitmapTableSize)).ToArray();
        }
    }

    /// <summary>
    /// qemu loads every bitmap that is not in use when it opens an image (qcow2_load_dirty_bitmaps) and
    /// refuses the image when a bitmap table entry breaks check_table_entry ("Could not read bitmap_table
    /// table from image for bitmap ..."). Entries past the end of the file read as zeros, which are valid.
    /// </summary>
    private void ValidateBitmapTables(List<BitmapDirectoryEntry> entries, long fileLength)
    {
        var clusterSize = Header.ClusterSize;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            foreach (var entry in entries.Where(e => (e.Flags & BitmapFlags.InUse) == 0))
            {
                var inFile = EntriesInFile(entry.BitmapTableOffset, entry.BitmapTableSize, fileLength);
                for (var first = 0; first < inFile; first += buffer.Length / 8)
                {
                    var count = Math.Min(buffer.Length / 8, inFile - first);
                    var at = (long)entry.BitmapTableOffset + (first * 8L);
                    var bytes = buffer.AsSpan(0, count * 8);
                    _imageFile.ReadPadded(bytes, at);
                    for (var i = 0; i < count; i++)
                    {
                        if (new BitmapTableEntry(BinaryPrimitives.ReadUInt64BigEndian(bytes[(i * 8)..])).Problem(clusterSize) is { } problem)
                        {
                            throw new QcowFormatException($"bitmap table entry {first + i} of bitmap '{entry.Name}'", at + (i * 8L),
                                $"{problem}: qemu cannot load the bitmap (Could not read bitmap_table table from image for bitmap '{entry.Name}')");
                        }
                    }
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>How many of a table's <paramref name="entries"/> 8-byte entries at <paramref name="offset"/> lie (at least partly) inside the file.</summary>
    internal static int EntriesInFile(ulong offset, ulong entries, long fileLength) =>
        offset >= (ulong)fileLength ? 0 : (int)Math.Min(entries, ((ulong)fileLength - offset + 7) / 8);

    /// <summary>Reads a table of big-endian 64-bit entries (caller validated its bounds) into host order.</summary>
    internal ulong[] ReadTable(ulong offset, int entries)
    {
        var table = new ulong[entries];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(table.AsSpan());
        _imageFile.ReadPadded(bytes, (long)offset);
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(table, table);
        }
        return table;
    }

    private void OpenDataFile()
    {
        if (!Header.HasExternalDataFile)
        {
            return;
        }
        _dataFile = null;
        var name = Options.DataFile ?? Header.ExternalDataFile;
        if (string.IsNullOrEmpty(name) && Options.ExternalFiles == ExternalFilePolicy.Never)
        {
            // qemu-img info opens no data file, so it never learns that none is named; reads that need one fail.
            return;
        }
        if (string.IsNullOrEmpty(name))
        {
            throw new QcowFormatException("incompatible_features", HeaderFieldOffsets.IncompatibleFeatures,
                "the external data file bit (2) is set but the image names no data file ('data-file' is required for this image)");
        }
        if (Options.ExternalFiles == ExternalFilePolicy.Never)
        {
            return;
        }
        var access = Options.Writable ? FileAccess.ReadWrite : FileAccess.Read;
        string path;
        try
        {
            // qemu 7.2 resolves a relative data file name against the current directory, not the image's folder.
            path = Path.GetFullPath(name);
            _dataFile = new HandleHostFile(LockedFile.Open(path, name, access, Options.DataFileLockMode));
        }
        catch (Exception ex) when (ex is IOException and not QcowImageLockedException or UnauthorizedAccessException or ArgumentException)
        {
            throw new HostFileException(FileName, $"Could not open data file '{name}': {(ex is HostFileException ? ex.Message : HostFiles.Reason(name, ex))}", ex);
        }
        _ownsDataFile = true;
        DataFilePath = path;
        _dataFileName = name;
    }

    /// <summary>The error for a backing chain that reaches an image already in it (qemu would recurse until it fails).</summary>
    internal static QcowFormatException BackingLoop(QcowHeader header, string fullPath) =>
        new("backing file", (long)header.BackingFileOffset, $"the backing chain loops back to '{fullPath}'");

    /// <summary>qemu's path_combine: a relative backing name is taken relative to the folder of the image's name as given.</summary>
    internal static string CombineBackingName(string imageName, string backingName)
    {
        if (Path.IsPathRooted(backingName))
        {
            return backingName;
        }
        var slash = imageName.LastIndexOf('/');
        return slash < 0 ? backingName : imageName[..(slash + 1)] + backingName;
    }

    /// <summary>The backing file name resolved the way qemu shows it as full-backing-filename.</summary>
    internal string? FullBackingFileName => Header.BackingFile is { Length: > 0 } name ? CombineBackingName(FileName, name) : null;

    private IVirtualDisk? OpenBacking(HashSet<string> chain)
    {
        if (Header.BackingFile is not { Length: > 0 } || Options.ExternalFiles == ExternalFilePolicy.Never)
        {
            return null;
        }
        var name = FullBackingFileName!;
        string fullPath;
        string format;
        try
        {
            fullPath = Path.GetFullPath(name);
            format = Header.BackingFormat ?? VirtualDisk.Probe(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new IOException($"Could not open backing file '{name}' of '{FileName}': {ex.Message}", ex);
        }
        if (chain.Contains(fullPath))
        {
            throw BackingLoop(Header, fullPath);
        }
        if (chain.Count >= Options.MaxBackingChainDepth)
        {
            throw new QcowFormatException("backing file", (long)Header.BackingFileOffset, $"the backing chain is deeper than {Options.MaxBackingChainDepth} images");
        }
        var backingOptions = new QcowOpenOptions
        {
            Access = FileAccess.Read,
            ExternalFiles = Options.ExternalFiles,
            L2CacheBytes = Options.L2CacheBytes,
            MaxBackingChainDepth = Options.MaxBackingChainDepth,
            ForceShare = Options.ForceShare,
            InspectOnly = Options.InspectOnly,
        };
        if (format is not ("qcow2" or "raw"))
        {
            throw new QcowFormatException("backing file format", -1, $"backing format '{format}' of '{fullPath}' is not supported (only qcow2 and raw)");
        }
        try
        {
            return format == "qcow2" ? Open(name, backingOptions, chain) : RawImage.Open(name, Options.RawBackingLockMode);
        }
        catch (Exception ex) when (ex is IOException and not (QcowFormatException or QcowImageLockedException) or UnauthorizedAccessException or ArgumentException)
        {
            throw new IOException($"Could not open backing file '{fullPath}' of '{FileName}': {ex.Message}", ex);
        }
    }

    internal static void CheckRange(long offset, long length, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > size || length > size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"The range {offset}+{length} lies outside the {size}-byte disk.");
        }
    }

    /// <inheritdoc />
    public Stream OpenStream()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new VirtualDiskStream(this);
    }

    /// <summary>Releases the image, its data file and its backing chain.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        CloseWriter();
        _disposed = true;
        Backing?.Dispose();
        if (_ownsDataFile)
        {
            _dataFile?.Dispose();
        }
        _decompressor.Dispose();
        ReleaseCompressedCache();
        _imageFile.Dispose();
    }
}
