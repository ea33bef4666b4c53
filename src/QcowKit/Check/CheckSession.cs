using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace QcowKit.Check;

/// <summary>
/// One pass of qemu's qcow2_co_check_locked over an opened image: snapshot table, refcounts
/// (calculate, compare, rebuild), COPIED flags, and the snapshot table fix-up. Ported rule by rule
/// from qemu 7.2's block/qcow2-refcount.c so that every count equals qemu-img check's; see
/// docs/finding-codes.md for the counting rules in prose.
/// </summary>
internal sealed partial class CheckSession : IDisposable
{
    private const int MaxFindingsPerCode = 1000;
    private readonly CheckedFile _file;
    private readonly CheckGeometry _geometry;
    private readonly List<QcowFinding> _findings;
    private readonly Dictionary<string, int> _findingCounts = new(StringComparer.Ordinal);
    private readonly ulong[] _l1Table;
    private ulong[] _refcountTable;
    private long _refcountTableSize;
    private ulong _refcountTableOffset;
    private readonly byte[] _refblockCache;
    private readonly byte[] _l2Buffer;
    private ulong _refblockCacheOffset = ulong.MaxValue;
    /// <summary>The first use counted for each cluster of the file, for the messages (a <see cref="ClusterUse"/> per byte).</summary>
    private readonly ZeroedMemory _ownerOf;
    private readonly Dictionary<long, ClusterUse> _secondOwner = [];
    private readonly long _memoryBound;
    private List<SnapshotEntry> _snapshots = [];
    private ulong _snapshotsOffset;
    private long _snapshotsSize;

    public CheckSession(CheckedFile file, CheckGeometry geometry, List<QcowFinding> findings)
    {
        _file = file;
        _geometry = geometry;
        _findings = findings;
        // Memory bound tied to the file: the in-memory refcounts may cover 16 times the file's clusters
        // (references a little beyond the end, as qemu allows) but never more than that or 64 MiB.
        _memoryBound = Math.Max(64L << 20, 16 * ((_file.Length >> _geometry.ClusterBits) + 1) * Math.Max(1, _geometry.RefcountBits / 8));
        _l1Table = ReadTable(_geometry.L1TableOffset, _geometry.L1Size);
        _refcountTableSize = _geometry.RefcountTableSize;
        _refcountTableOffset = _geometry.RefcountTableOffset;
        _refcountTable = ReadTable(_geometry.RefcountTableOffset, _refcountTableSize);
        _refblockCache = ReadBuffer(_geometry.ClusterSize);
        _l2Buffer = ReadBuffer(_geometry.ClusterSize);
        _ownerOf = new ZeroedMemory((int)Math.Min((_file.Length >> _geometry.ClusterBits) + 1, Array.MaxLength));
    }

    /// <summary>
    /// A read-only view of <paramref name="parent"/> for a pass that runs on another thread: the same file and
    /// tables, its own findings and refcount block cache. Only for a check without repair, where nothing the
    /// pass reads changes while it runs.
    /// </summary>
    private CheckSession(CheckSession parent)
    {
        _file = parent._file;
        _geometry = parent._geometry;
        _findings = [];
        _memoryBound = parent._memoryBound;
        _l1Table = parent._l1Table;
        _refcountTable = parent._refcountTable;
        _refcountTableSize = parent._refcountTableSize;
        _refcountTableOffset = parent._refcountTableOffset;
        _refblockCache = ReadBuffer(_geometry.ClusterSize);
        _l2Buffer = ReadBuffer(_geometry.ClusterSize);
        _ownerOf = new ZeroedMemory(0);
        Cancellation = parent.Cancellation;
    }

    /// <summary>Stops a read-only check between tables when cancellation was requested.</summary>
    private void ThrowIfCanceled()
    {
        if (Fix == QcowRepairMode.None) Cancellation.ThrowIfCancellationRequested();
    }

    public QcowRepairMode Fix { get; init; }

    /// <summary>Observed between tables while nothing is written; a repair, once started, runs to its end so the image is never left half-repaired.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Told after each L2 table of the active L1 table.</summary>
    public IProgress<QcowCheckProgress>? Progress { get; init; }

    public void Dispose() => _ownerOf.Dispose();

    private bool FixErrors => Fix == QcowRepairMode.All;

    private bool FixLeaks => Fix != QcowRepairMode.None;

    /// <summary>Reads a table of big-endian u64 entries; entries beyond the end of the file are zero and not stored.</summary>
    private ulong[] ReadTable(ulong offset, long entries)
    {
        if (entries <= 0 || offset >= (ulong)_file.Length) return [];
        var inFile = (long)Math.Min((ulong)entries, ((ulong)_file.Length - offset + 7) / 8);
        // Read in place and swap to host order: no second copy of the table to allocate and fault in.
        var table = GC.AllocateUninitializedArray<ulong>(checked((int)inFile));
        _file.Read(offset, MemoryMarshal.AsBytes(table.AsSpan()));
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(table, table);
        return table;
    }

    /// <summary>A buffer that is always filled from the file before use (<see cref="CheckedFile.Read"/> zero-fills past the end), so zeroing it first is wasted work.</summary>
    private static byte[] ReadBuffer(int length) => GC.AllocateUninitializedArray<byte>(length);

    private static ulong Entry(ulong[] table, long index) => index < table.Length ? table[index] : 0;

    /// <summary>
    /// Counts a finding of <paramref name="code"/>; true while it should still be listed. Hot loops call
    /// it before formatting a message: a hostile image can produce millions of the same finding.
    /// </summary>
    internal bool Want(string code)
    {
        _findingCounts.TryGetValue(code, out var reportedCount);
        _findingCounts[code] = reportedCount + 1;
        if (reportedCount == MaxFindingsPerCode)
        {
            _findings.Add(new QcowFinding(code, QcowFindingSeverity.Info, $"further {code} findings are not listed", -1));
        }
        return reportedCount < MaxFindingsPerCode;
    }

    /// <summary>Lists a finding (after <see cref="Want"/>).</summary>
    internal void Add(string code, QcowFindingSeverity severity, string message, long offset) =>
        _findings.Add(new QcowFinding(code, severity, message, offset));

    internal void Report(string code, QcowFindingSeverity severity, string message, long offset)
    {
        if (Want(code)) Add(code, severity, message, offset);
    }

    /// <summary>qcow2_co_check_locked.</summary>
    public CheckCounts Run()
    {
        var result = new CheckCounts();
        var snapshotResult = new CheckCounts();
        var refcountResult = new CheckCounts();
        try
        {
            CheckReadSnapshotTable(snapshotResult);
        }
        catch (CheckAbortedException)
        {
            result.Add(snapshotResult, false);
            throw new CheckAbortedWithCountsException(result);
        }

        try
        {
            CheckRefcounts(refcountResult);
        }
        catch (CheckAbortedException)
        {
            result.Add(refcountResult, true);
            result.Add(snapshotResult, false);
            throw new CheckAbortedWithCountsException(result);
        }
        result.Add(refcountResult, true);

        try
        {
            CheckFixSnapshotTable(snapshotResult);
        }
        catch (CheckAbortedException)
        {
            result.Add(snapshotResult, false);
            throw new CheckAbortedWithCountsException(result);
        }
        result.Add(snapshotResult, false);

        if (Fix != QcowRepairMode.None && result.CheckErrors == 0 && result.Corruptions == 0)
        {
            MarkCleanAndConsistent();
        }
        return result;
    }

    private void MarkCleanAndConsistent()
    {
        var incompatible = _file.ReadUInt64(72);
        if (_geometry.Version >= 3 && (incompatible & 0x3) != 0)
        {
            _file.WriteUInt64(72, incompatible & ~0x3UL);
        }
    }

    /// <summary>On closing an image opened for writing, qemu clears the dirty bit whatever the check found.</summary>
    public void CloseAfterRepair()
    {
        if (_geometry.Version < 3) return;
        var incompatible = _file.ReadUInt64(72);
        if ((incompatible & 0x1) != 0)
        {
            _file.WriteUInt64(72, incompatible & ~0x1UL);
        }
        _file.Flush();
    }

    // ---- refcount lookups on disk (qcow2_get_refcount) ----

    /// <summary>The on-disk refcount of cluster <paramref name="clusterIndex"/>; false when its refcount block is unaligned.</summary>
    private bool TryGetRefcount(long clusterIndex, out ulong refcount)
    {
        refcount = 0;
        if (!TryLoadRefblockOf(clusterIndex, out var loaded)) return false;
        if (loaded) refcount = RefcountArray.Get(_refblockCache, clusterIndex & (_geometry.RefcountBlockSize - 1), _geometry.RefcountOrder);
        return true;
    }

    /// <summary>
    /// Loads the refcount block covering cluster <paramref name="clusterIndex"/> into the cache (<paramref name="loaded"/>);
    /// without one (<paramref name="loaded"/> false) every refcount it would hold reads 0. False when the block is unaligned.
    /// </summary>
    private bool TryLoadRefblockOf(long clusterIndex, out bool loaded)
    {
        loaded = false;
        var tableIndex = clusterIndex >> _geometry.RefcountBlockBits;
        if (tableIndex >= _refcountTableSize) return true;
        var blockOffset = Entry(_refcountTable, tableIndex) & QcowMasks.RefcountTableOffsetMask;
        if (blockOffset == 0) return true;
        if (_geometry.OffsetIntoCluster(blockOffset) != 0) return false;
        LoadRefblock(blockOffset);
        loaded = true;
        return true;
    }

    private void LoadRefblock(ulong blockOffset)
    {
        if (_refblockCacheOffset == blockOffset) return;
        _file.Read(blockOffset, _refblockCache);
        _refblockCacheOffset = blockOffset;
    }

    /// <summary>update_refcount for one cluster whose refcount block exists: writes the new refcount.</summary>
    private bool TrySetRefcount(long clusterIndex, ulong refcount)
    {
        var tableIndex = clusterIndex >> _geometry.RefcountBlockBits;
        if (tableIndex >= _refcountTableSize) return false;
        var blockOffset = Entry(_refcountTable, tableIndex) & QcowMasks.RefcountTableOffsetMask;
        if (blockOffset == 0 || _geometry.OffsetIntoCluster(blockOffset) != 0) return false;
        LoadRefblock(blockOffset);
        var index = clusterIndex & (_geometry.RefcountBlockSize - 1);
        RefcountArray.Set(_refblockCache, index, _geometry.RefcountOrder, refcount);
        var byteIndex = (int)((index << _geometry.RefcountOrder) / 8);
        var width = Math.Max(1, _geometry.RefcountBits / 8);
        _file.Write(blockOffset + (ulong)byteIndex, _refblockCache.AsSpan(byteIndex, width));
        return true;
    }

    // ---- in-memory refcounts (qcow2_inc_refcounts_imrt) ----

    /// <summary>qcow2_inc_refcounts_imrt, <paramref name="times"/> over (refcounts saturate at the maximum, each overflow a corruption).</summary>
    /// <remarks>
    /// Called for every reference in the image: the findings are formatted in separate methods, so that this one
    /// has no string-building locals for its prologue to clear on each call.
    /// </remarks>
    private void IncRefcounts(CheckCounts counts, RefcountArray computedRefcounts, ulong offset, ulong size, ClusterUse use, long times = 1)
    {
        if (size == 0 || size > long.MaxValue) return;
        // qemu 7.2: the last cluster may be partly beyond the end of the file, anything more is a corruption and is not counted.
        if ((long)Math.Min(offset, (ulong)long.MaxValue / 2) + (long)Math.Min(size, (ulong)long.MaxValue / 2) - _file.Length >= _geometry.ClusterSize)
        {
            ReportBeyondEndOfFile(offset, size, use);
            counts.Corruptions += times;
            return;
        }
        var start = _geometry.StartOfCluster(offset);
        var last = _geometry.StartOfCluster(offset + size - 1);
        for (var clusterOffset = start; clusterOffset <= last; clusterOffset += (ulong)_geometry.ClusterSize)
        {
            var clusterIndex = (long)(clusterOffset >> _geometry.ClusterBits);
            if (clusterIndex >= computedRefcounts.Size && !computedRefcounts.TryResize(clusterIndex + 1))
            {
                counts.CheckErrors++;
                ThrowOutOfCountingMemory(clusterOffset, use);
            }
            var applied = computedRefcounts.AddSaturating(clusterIndex, (ulong)times, out var updated);
            if (applied < (ulong)times)
            {
                ReportOverflow(clusterOffset);
                counts.Corruptions += times - (long)applied;
                if (applied == 0) continue;
            }
            var owners = _ownerOf.Span;
            if (clusterIndex < owners.Length)
            {
                if (owners[(int)clusterIndex] == 0) owners[(int)clusterIndex] = (byte)use;
                if (updated > 1) _secondOwner.TryAdd(clusterIndex, use);
            }
            if (clusterOffset + (ulong)_geometry.ClusterSize < clusterOffset) break;
        }
    }

    private void ReportBeyondEndOfFile(ulong offset, ulong size, ClusterUse use)
    {
        if (Want(QcowFindingCodes.BeyondEndOfFile)) Add(QcowFindingCodes.BeyondEndOfFile, QcowFindingSeverity.Error,
            $"ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x{offset:x} size 0x{size:x} ({Describe(use)}; the file has {_file.Length} bytes)",
            (long)Math.Min(offset, long.MaxValue));
    }

    private void ReportOverflow(ulong clusterOffset)
    {
        if (Want(QcowFindingCodes.RefcountOverflow)) Add(QcowFindingCodes.RefcountOverflow, QcowFindingSeverity.Error,
            $"ERROR: overflow cluster offset=0x{clusterOffset:x}", (long)clusterOffset);
    }

    [DoesNotReturn]
    private void ThrowOutOfCountingMemory(ulong clusterOffset, ClusterUse use)
    {
        Report(QcowFindingCodes.CheckFailed, QcowFindingSeverity.Error,
            $"cluster at offset 0x{clusterOffset:x} ({use}) lies so far beyond the end of the file that counting its references needs more memory than allowed", (long)Math.Min(clusterOffset, long.MaxValue));
        throw new CheckAbortedException("Cannot allocate memory");
    }

    private string DescribeUse(long cluster)
    {
        var owners = _ownerOf.Span;
        if (cluster >= owners.Length || owners[(int)cluster] == 0) return string.Empty;
        var first = (ClusterUse)owners[(int)cluster];
        return _secondOwner.TryGetValue(cluster, out var second)
            ? $" (used as {Describe(first)} and as {Describe(second)})"
            : $" (used as {Describe(first)})";
    }

    private static string Describe(ClusterUse use) => use switch
    {
        ClusterUse.Header => "the qcow2 header",
        ClusterUse.ActiveL1 => "the active L1 table",
        ClusterUse.ActiveL2 => "an active L2 table",
        ClusterUse.Data => "a data cluster",
        ClusterUse.Compressed => "a compressed cluster",
        ClusterUse.SnapshotTable => "the snapshot table",
        ClusterUse.SnapshotL1 => "a snapshot L1 table",
        ClusterUse.SnapshotL2 => "a snapshot L2 table",
        ClusterUse.SnapshotData => "a snapshot data cluster",
        ClusterUse.RefcountTable => "the refcount table",
        ClusterUse.RefcountBlock => "a refcount block",
        ClusterUse.CryptoHeader => "the encryption header",
        ClusterUse.BitmapDirectory => "the bitmap directory",
        ClusterUse.BitmapTable => "a bitmap table",
        ClusterUse.BitmapData => "a bitmap data cluster",
        _ => "something",
    };

    private static bool IsMetadata(ClusterUse use) => use is not (ClusterUse.Data or ClusterUse.Compressed or ClusterUse.SnapshotData or ClusterUse.None);
}

/// <summary>The check was aborted; carries the counts accumulated so far.</summary>
internal sealed class CheckAbortedWithCountsException : Exception
{
    public CheckAbortedWithCountsException(CheckCounts counts) : base("Check failed") => Counts = counts;

    public CheckAbortedWithCountsException() : base("Check failed") => Counts = new CheckCounts();

    public CheckAbortedWithCountsException(string message) : base(message) => Counts = new CheckCounts();

    public CheckAbortedWithCountsException(string message, Exception innerException) : base(message, innerException) => Counts = new CheckCounts();

    public CheckCounts Counts { get; }
}
