using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.ExceptionServices;

namespace QcowKit.Check;

internal sealed partial class CheckSession
{
    private enum ClusterType
    {
        Unallocated,
        ZeroPlain,
        ZeroAlloc,
        Normal,
        Compressed,
    }

    /// <summary>Index of the first entry at or after <paramref name="start"/> with a non-zero byte, or <paramref name="count"/> (vectorized scan).</summary>
    private static int NextNonZeroEntry(byte[] table, int start, int count, int entrySize)
    {
        var found = table.AsSpan(start * entrySize, (count - start) * entrySize).IndexOfAnyExcept((byte)0);
        return found < 0 ? count : start + (found / entrySize);
    }

    /// <summary>qcow2_get_cluster_type.</summary>
    private ClusterType TypeOf(ulong entry)
    {
        if ((entry & QcowMasks.Compressed) != 0) return ClusterType.Compressed;
        if ((entry & QcowMasks.Zero) != 0 && !_geometry.ExtendedL2)
        {
            return (entry & QcowMasks.L2OffsetMask) != 0 ? ClusterType.ZeroAlloc : ClusterType.ZeroPlain;
        }
        if ((entry & QcowMasks.L2OffsetMask) == 0)
        {
            // Offset 0 is a valid data file offset; such clusters always carry COPIED.
            return _geometry.HasDataFile && (entry & QcowMasks.Copied) != 0 ? ClusterType.Normal : ClusterType.Unallocated;
        }
        return ClusterType.Normal;
    }

    private const int MinL2TablesForConcurrentPass = 8;

    /// <summary>qcow2_check_refcounts.</summary>
    private void CheckRefcounts(CheckCounts counts)
    {
        var nbClusters = _geometry.SizeToClusters((ulong)_file.Length);
        if (nbClusters > int.MaxValue)
        {
            counts.CheckErrors++;
            Report(QcowFindingCodes.CheckFailed, QcowFindingSeverity.Error, "the image file has more than 2^31 clusters", -1);
            throw new CheckAbortedException("File too large");
        }
        counts.TotalClusters = _geometry.SizeToClusters(_geometry.VirtualSize / 512 * 512);

        // Without repair nothing the copied-flag pass reads (active L1 and L2 tables, on-disk refcounts) can change,
        // so it runs on a second core while the references are counted; its findings join in qemu's order below.
        // Starting a thread costs about as much as walking a few L2 tables, so small images stay on one.
        var concurrent = Fix == QcowRepairMode.None && Environment.ProcessorCount > 1
            && _l1Table.Count(entry => (entry & QcowMasks.L1OffsetMask) != 0) >= MinL2TablesForConcurrentPass;
        using var copiedFlags = concurrent ? new ConcurrentPass(new CheckSession(this)) : null;
        using var computedRefcounts = new RefcountArray(_geometry.RefcountOrder, _geometry.ClusterSize, nbClusters, _memoryBound);
        var rebuild = false;
        CalculateRefcounts(counts, Fix, ref rebuild, computedRefcounts);

        var preCompare = counts.Clone();
        CompareRefcounts(counts, QcowRepairMode.None, ref rebuild, out var highestCluster, computedRefcounts, report: true);
        if (CollectMap) BuildHostMap(computedRefcounts);

        if (rebuild && FixErrors)
        {
            var old = counts.Clone();
            var freshLeaks = 0L;
            RebuildRefcountStructure(counts, computedRefcounts);
            counts.Corruptions = 0;
            counts.Leaks = 0;
            rebuild = false;
            computedRefcounts.Clear();
            computedRefcounts.TryResize(Math.Max(computedRefcounts.Size, nbClusters));
            var findingsBefore = _findings.Count;
            CalculateRefcounts(counts, QcowRepairMode.None, ref rebuild, computedRefcounts);
            if (FixLeaks)
            {
                var saved = counts.Clone();
                var fresh = new CheckCounts();
                CompareRefcounts(fresh, QcowRepairMode.Leaks, ref rebuild, out highestCluster, computedRefcounts, report: false);
                if (rebuild)
                {
                    Report(QcowFindingCodes.CheckFailed, QcowFindingSeverity.Error, "ERROR rebuilt refcount structure is still broken", -1);
                }
                freshLeaks = fresh.Leaks;
                counts.CopyFrom(saved);
            }
            // The second pass re-reports what the first already found.
            _findings.RemoveRange(findingsBefore, _findings.Count - findingsBefore);
            if (counts.Corruptions < old.Corruptions) counts.CorruptionsFixed += old.Corruptions - counts.Corruptions;
            if (counts.Leaks < old.Leaks) counts.LeaksFixed += old.Leaks - counts.Leaks;
            counts.Leaks += freshLeaks;
        }
        else if (Fix != QcowRepairMode.None)
        {
            if (rebuild)
            {
                counts.CheckErrors++;
                Report(QcowFindingCodes.CheckFailed, QcowFindingSeverity.Error,
                    "ERROR need to rebuild refcount structures (only -r all can do that)", -1);
                throw new CheckAbortedException("Input/output error");
            }
            if (counts.Leaks != 0 || counts.Corruptions != 0)
            {
                counts.CopyFrom(preCompare);
                CompareRefcounts(counts, Fix, ref rebuild, out highestCluster, computedRefcounts, report: false);
            }
        }

        if (copiedFlags is null)
        {
            CheckOflagCopied(counts);
        }
        else
        {
            copiedFlags.Join(this, counts);
        }
        counts.ImageEndOffset = (highestCluster + 1) << _geometry.ClusterBits;
    }

    /// <summary>calculate_refcounts: counts every reference the metadata makes.</summary>
    private void CalculateRefcounts(CheckCounts counts, QcowRepairMode fix, ref bool rebuild, RefcountArray computedRefcounts)
    {
        IncRefcounts(counts, computedRefcounts, 0, (ulong)_geometry.ClusterSize, ClusterUse.Header);
        CheckRefcountsL1(counts, computedRefcounts, _geometry.L1TableOffset, _geometry.L1Size, fragInfo: true, fix, active: true);

        if (_geometry.HasDataFile && _snapshots.Count > 0)
        {
            Report(QcowFindingCodes.SnapshotsWithDataFile, QcowFindingSeverity.Error, $"ERROR {_snapshots.Count} snapshots in image with data file", 64);
            counts.Corruptions++;
        }
        foreach (var snapshot in _snapshots)
        {
            if (_geometry.OffsetIntoCluster(snapshot.L1TableOffset) != 0)
            {
                Report(QcowFindingCodes.SnapshotL1Unaligned, QcowFindingSeverity.Error,
                    $"ERROR snapshot {snapshot.Id} ({snapshot.Name}) l1_offset=0x{snapshot.L1TableOffset:x}: L1 table is not cluster aligned; snapshot table entry corrupted", snapshot.EntryOffset);
                counts.Corruptions++;
                continue;
            }
            if (snapshot.L1Size > QcowMasks.MaxL1SizeBytes / 8)
            {
                Report(QcowFindingCodes.SnapshotL1TooLarge, QcowFindingSeverity.Error,
                    $"ERROR snapshot {snapshot.Id} ({snapshot.Name}) l1_size=0x{snapshot.L1Size:x}: L1 table is too large; snapshot table entry corrupted", snapshot.EntryOffset + 8);
                counts.Corruptions++;
                continue;
            }
            CheckRefcountsL1(counts, computedRefcounts, snapshot.L1TableOffset, snapshot.L1Size, fragInfo: false, fix, active: false);
        }
        IncRefcounts(counts, computedRefcounts, _snapshotsOffset, (ulong)_snapshotsSize, ClusterUse.SnapshotTable);
        IncRefcounts(counts, computedRefcounts, _refcountTableOffset, (ulong)_refcountTableSize * 8, ClusterUse.RefcountTable);
        if (_geometry.CryptoHeaderLength != 0)
        {
            IncRefcounts(counts, computedRefcounts, _geometry.CryptoHeaderOffset, _geometry.CryptoHeaderLength, ClusterUse.CryptoHeader);
        }
        CheckBitmapsRefcounts(counts, computedRefcounts);
        CheckRefblocks(counts, fix, ref rebuild, computedRefcounts);
    }

    /// <summary>check_refcounts_l1.</summary>
    private void CheckRefcountsL1(CheckCounts counts, RefcountArray computedRefcounts, ulong l1Offset, uint l1Size, bool fragInfo, QcowRepairMode fix, bool active)
    {
        if (l1Size == 0) return;
        IncRefcounts(counts, computedRefcounts, l1Offset, (ulong)l1Size * 8, active ? ClusterUse.ActiveL1 : ClusterUse.SnapshotL1);
        var table = active && l1Offset == _geometry.L1TableOffset ? _l1Table : ReadTable(l1Offset, l1Size);
        // L2 tables by first appearance, with how many L1 entries point at each (hostile images repeat one table millions of times).
        var multiplicity = new Dictionary<ulong, int>();
        for (var i = 0; i < table.Length; i++)
        {
            var entry = table[i];
            if (entry == 0) continue;
            var entryOffset = (long)(l1Offset + (ulong)i * 8);
            if ((entry & QcowMasks.L1ReservedMask) != 0)
            {
                if (Want(QcowFindingCodes.L1ReservedBits)) Add(QcowFindingCodes.L1ReservedBits, QcowFindingSeverity.Error, $"ERROR found L1 entry with reserved bits set: {entry:x}", entryOffset);
                counts.Corruptions++;
            }
            var l2Offset = entry & QcowMasks.L1OffsetMask;
            IncRefcounts(counts, computedRefcounts, l2Offset, (ulong)_geometry.ClusterSize, active ? ClusterUse.ActiveL2 : ClusterUse.SnapshotL2);
            if (_geometry.OffsetIntoCluster(l2Offset) != 0)
            {
                if (Want(QcowFindingCodes.L2TableUnaligned)) Add(QcowFindingCodes.L2TableUnaligned, QcowFindingSeverity.Error, $"ERROR l2_offset={l2Offset:x}: Table is not cluster aligned; L1 entry corrupted", entryOffset);
                counts.Corruptions++;
            }
            multiplicity[l2Offset] = multiplicity.GetValueOrDefault(l2Offset) + 1;
        }
        var tablesDone = 0L;
        foreach (var (l2Offset, count) in multiplicity)
        {
            ThrowIfCanceled();
            if (active) Progress?.Report(new QcowCheckProgress(tablesDone++, multiplicity.Count));
            // Beyond the end of the file a table reads as zeros: all unallocated, nothing to count or report.
            if (l2Offset >= (ulong)_file.Length) continue;
            if (fix == QcowRepairMode.All && count > 1)
            {
                // A repair may change the table during the first walk; later walks must see the change, as in qemu.
                for (var k = 0; k < count; k++) CheckRefcountsL2(counts, computedRefcounts, l2Offset, fragInfo, fix, active, 1);
            }
            else
            {
                CheckRefcountsL2(counts, computedRefcounts, l2Offset, fragInfo, fix, active, count);
            }
        }
    }

    /// <summary>
    /// check_refcounts_l2, for <paramref name="multiplicity"/> L1 entries that all point at this table: qemu walks it
    /// once per entry, this walks it once and counts everything m times (refcount increments saturate
    /// the same way in any order). With m above 1 the walk must not repair anything.
    /// </summary>
    private void CheckRefcountsL2(CheckCounts counts, RefcountArray computedRefcounts, ulong l2Offset, bool fragInfo, QcowRepairMode fix, bool active, long multiplicity)
    {
        var entrySize = _geometry.L2EntrySize;
        var table = _l2Buffer;
        _file.Read(l2Offset, table);
        ulong nextContiguousOffset = 0;
        var l2Size = _geometry.L2Size;
        for (var i = 0; i < l2Size; i++)
        {
            var entry = BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(i * entrySize));
            var bitmap = _geometry.ExtendedL2 ? BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(i * entrySize + 8)) : 0;
            if (entry == 0 && bitmap == 0)
            {
                // An all-zero entry is unallocated and counts nothing: jump over the whole zero run at once
                // (sparse images are mostly such runs).
                i = NextNonZeroEntry(table, i, l2Size, entrySize) - 1;
                continue;
            }
            var entryOffset = (long)(l2Offset + (ulong)(i * entrySize));
            var type = TypeOf(entry);

            if (type != ClusterType.Compressed && (entry & QcowMasks.L2StandardReservedMask) != 0)
            {
                if (Want(QcowFindingCodes.L2ReservedBits)) Add(QcowFindingCodes.L2ReservedBits, QcowFindingSeverity.Error, $"ERROR found l2 entry with reserved bits set: {entry:x}", entryOffset);
                counts.Corruptions += multiplicity;
            }

            switch (type)
            {
                case ClusterType.Compressed:
                {
                    if ((entry & QcowMasks.Copied) != 0)
                    {
                        if (Want(QcowFindingCodes.CompressedCopied)) Add(QcowFindingCodes.CompressedCopied, QcowFindingSeverity.Error,
                            $"ERROR: coffset=0x{entry & _geometry.CompressedOffsetMask:x}: copied flag must never be set for compressed clusters", entryOffset);
                        entry &= ~QcowMasks.Copied;
                        counts.Corruptions += multiplicity;
                    }
                    if (_geometry.HasDataFile)
                    {
                        if (Want(QcowFindingCodes.CompressedWithDataFile)) Add(QcowFindingCodes.CompressedWithDataFile, QcowFindingSeverity.Error, $"ERROR compressed cluster {i} with data file, entry=0x{entry:x}", entryOffset);
                        counts.Corruptions += multiplicity;
                        break;
                    }
                    if (bitmap != 0)
                    {
                        if (Want(QcowFindingCodes.CompressedWithSubclusterBitmap)) Add(QcowFindingCodes.CompressedWithSubclusterBitmap, QcowFindingSeverity.Error,
                            $"ERROR compressed cluster {i} with non-zero subcluster allocation bitmap, entry=0x{entry:x}", entryOffset);
                        counts.Corruptions += multiplicity;
                        break;
                    }
                    var coffset = entry & _geometry.CompressedOffsetMask;
                    var sectors = ((entry >> _geometry.CompressedSizeShift) & _geometry.CompressedSizeMask) + 1;
                    var csize = sectors * 512 - (coffset & 511);
                    IncRefcounts(counts, computedRefcounts, coffset, csize, ClusterUse.Compressed, multiplicity);
                    if (fragInfo)
                    {
                        counts.AllocatedClusters += multiplicity;
                        counts.CompressedClusters += multiplicity;
                        // Compressed clusters share sectors, so qemu counts each as fragmented.
                        counts.FragmentedClusters += multiplicity;
                    }
                    break;
                }
                case ClusterType.ZeroAlloc:
                case ClusterType.Normal:
                {
                    var offset = entry & QcowMasks.L2OffsetMask;
                    if (((bitmap >> 32) & bitmap) != 0)
                    {
                        counts.Corruptions += multiplicity;
                        if (Want(QcowFindingCodes.SubclusterAllocatedAndZero)) Add(QcowFindingCodes.SubclusterAllocatedAndZero, QcowFindingSeverity.Error,
                            $"ERROR offset={offset:x}: Allocated cluster has corrupted subcluster allocation bitmap", entryOffset);
                    }
                    if (_geometry.OffsetIntoCluster(offset) != 0)
                    {
                        counts.Corruptions += multiplicity;
                        var containsData = _geometry.ExtendedL2 ? (bitmap & QcowMasks.SubclusterAllAllocated) != 0 : (entry & QcowMasks.Zero) == 0;
                        if (!containsData)
                        {
                            if (Want(QcowFindingCodes.PreallocatedClusterUnaligned)) Add(QcowFindingCodes.PreallocatedClusterUnaligned, QcowFindingSeverity.Error,
                                $"{(fix == QcowRepairMode.All ? "Repairing" : "ERROR")} offset={offset:x}: Preallocated cluster is not properly aligned; L2 entry corrupted.", entryOffset);
                            if (fix == QcowRepairMode.All)
                            {
                                var newEntry = _geometry.ExtendedL2 ? 0 : QcowMasks.Zero;
                                BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan(i * entrySize), newEntry);
                                var overlap = CheckMetadataOverlap(active ? Overlap.ActiveL2 : Overlap.InactiveL2, (ulong)entryOffset, (ulong)entrySize);
                                if (overlap != Overlap.None)
                                {
                                    SignalOverlap(counts, overlap, (ulong)entryOffset);
                                    throw new CheckAbortedException("Input/output error");
                                }
                                _file.Write((ulong)entryOffset, table.AsSpan(i * entrySize, entrySize));
                                counts.Corruptions--;
                                counts.CorruptionsFixed++;
                                continue;
                            }
                        }
                        else
                        {
                            if (Want(QcowFindingCodes.DataClusterUnaligned)) Add(QcowFindingCodes.DataClusterUnaligned, QcowFindingSeverity.Error,
                                $"ERROR offset={offset:x}: Data cluster is not properly aligned; L2 entry corrupted.", entryOffset);
                        }
                    }
                    if (fragInfo)
                    {
                        counts.AllocatedClusters += multiplicity;
                        if (nextContiguousOffset != 0 && offset != nextContiguousOffset)
                        {
                            counts.FragmentedClusters += multiplicity;
                        }
                        nextContiguousOffset = offset + (ulong)_geometry.ClusterSize;
                    }
                    if (!_geometry.HasDataFile)
                    {
                        IncRefcounts(counts, computedRefcounts, offset, (ulong)_geometry.ClusterSize, active ? ClusterUse.Data : ClusterUse.SnapshotData, multiplicity);
                    }
                    break;
                }
                case ClusterType.ZeroPlain:
                    break;
                case ClusterType.Unallocated:
                    if ((bitmap & QcowMasks.SubclusterAllAllocated) != 0)
                    {
                        counts.Corruptions += multiplicity;
                        if (Want(QcowFindingCodes.UnallocatedWithSubclusters)) Add(QcowFindingCodes.UnallocatedWithSubclusters, QcowFindingSeverity.Error,
                            "ERROR: Unallocated cluster has non-zero subcluster allocation map", entryOffset);
                    }
                    break;
            }
        }
        }

    /// <summary>check_refblocks: each refcount block must be aligned, inside the image and used once.</summary>
    private void CheckRefblocks(CheckCounts counts, QcowRepairMode fix, ref bool rebuild, RefcountArray computedRefcounts)
    {
        for (long i = 0; i < _refcountTableSize; i++)
        {
            ThrowIfCanceled();
            var raw = Entry(_refcountTable, i);
            var offset = raw & QcowMasks.RefcountTableOffsetMask;
            var cluster = (long)(offset >> _geometry.ClusterBits);
            var entryOffset = (long)(_refcountTableOffset + (ulong)i * 8);
            if ((raw & QcowMasks.RefcountTableReservedMask) != 0)
            {
                Report(QcowFindingCodes.RefcountTableReservedBits, QcowFindingSeverity.Error, $"ERROR refcount table entry {i} has reserved bits set", entryOffset);
                counts.Corruptions++;
                rebuild = true;
                continue;
            }
            if (_geometry.OffsetIntoCluster(offset) != 0)
            {
                Report(QcowFindingCodes.RefcountBlockUnaligned, QcowFindingSeverity.Error,
                    $"ERROR refcount block {i} is not cluster aligned; refcount table entry corrupted", entryOffset);
                counts.Corruptions++;
                rebuild = true;
                continue;
            }
            if (cluster >= computedRefcounts.Size)
            {
                counts.Corruptions++;
                Report(QcowFindingCodes.RefcountBlockOutsideImage, QcowFindingSeverity.Error,
                    $"{(fix == QcowRepairMode.All ? "Repairing" : "ERROR")} refcount block {i} is outside image", entryOffset);
                if (fix == QcowRepairMode.All)
                {
                    var newLength = (long)offset + _geometry.ClusterSize;
                    if (offset > long.MaxValue - (ulong)_geometry.ClusterSize || !computedRefcounts.TryResize(_geometry.SizeToClusters((ulong)newLength)))
                    {
                        rebuild = true;
                        continue;
                    }
                    _file.SetLength(newLength);
                    counts.Corruptions--;
                    counts.CorruptionsFixed++;
                    IncRefcounts(counts, computedRefcounts, offset, (ulong)_geometry.ClusterSize, ClusterUse.RefcountBlock);
                }
                continue;
            }
            if (offset != 0)
            {
                IncRefcounts(counts, computedRefcounts, offset, (ulong)_geometry.ClusterSize, ClusterUse.RefcountBlock);
                if (computedRefcounts[cluster] != 1)
                {
                    Report(QcowFindingCodes.RefcountBlockShared, QcowFindingSeverity.Error,
                        $"ERROR refcount block {i} refcount={computedRefcounts[cluster]}{DescribeUse(cluster)}", entryOffset);
                    counts.Corruptions++;
                    rebuild = true;
                }
            }
        }
    }

    /// <summary>compare_refcounts: on-disk refcounts against the counted references.</summary>
    private void CompareRefcounts(CheckCounts counts, QcowRepairMode fix, ref bool rebuild, out long highestCluster, RefcountArray computedRefcounts, bool report)
    {
        highestCluster = 0;
        var nbClusters = computedRefcounts.Size;
        for (long blockStart = 0; blockStart < nbClusters; blockStart += _geometry.RefcountBlockSize)
        {
            var blockEnd = Math.Min(nbClusters, blockStart + _geometry.RefcountBlockSize);
            if (!BlockMatchesCounts(blockStart, blockEnd, computedRefcounts, ref highestCluster))
            {
                CompareRefcounts(counts, fix, ref rebuild, ref highestCluster, computedRefcounts, report, blockStart, blockEnd);
            }
        }
    }

    /// <summary>
    /// True when the on-disk refcounts of clusters [<paramref name="first"/>, <paramref name="end"/>) (one refcount
    /// block, <paramref name="first"/> its first cluster) equal the counted ones, compared as bytes: the counts are
    /// kept in the on-disk format. Then the only thing the per-cluster comparison would do is move the highest
    /// cluster in use. False sends the block through the per-cluster comparison (a mismatch, an unaligned block, a
    /// range ending inside a byte).
    /// </summary>
    private bool BlockMatchesCounts(long first, long end, RefcountArray computedRefcounts, ref long highestCluster)
    {
        var bits = (end - first) << _geometry.RefcountOrder;
        if ((bits & 7) != 0) return false;
        var counted = computedRefcounts.Bytes(first, (int)(bits >> 3));
        if (!TryLoadRefblockOf(first, out var loaded)) return false;
        int lastNonZero;
        if (!loaded)
        {
            if (counted.ContainsAnyExcept((byte)0)) return false;
            lastNonZero = -1;
        }
        else
        {
            if (!counted.SequenceEqual(_refblockCache.AsSpan(0, counted.Length))) return false;
            lastNonZero = counted.LastIndexOfAnyExcept((byte)0);
        }
        if (lastNonZero >= 0)
        {
            // Entries of a byte are packed from its least significant bit, wider ones span whole bytes.
            highestCluster = first + ((((long)lastNonZero << 3) + BitOperations.Log2(counted[lastNonZero])) >> _geometry.RefcountOrder);
        }
        return true;
    }

    /// <summary>compare_refcounts for clusters [<paramref name="first"/>, <paramref name="end"/>).</summary>
    private void CompareRefcounts(CheckCounts counts, QcowRepairMode fix, ref bool rebuild, ref long highestCluster, RefcountArray computedRefcounts, bool report, long first, long end)
    {
        for (var i = first; i < end; i++)
        {
            var clusterOffset = i << _geometry.ClusterBits;
            if (!TryGetRefcount(i, out var onDisk))
            {
                counts.CheckErrors++;
                if (report)
                {
                    if (Want(QcowFindingCodes.RefcountUnreadable)) Add(QcowFindingCodes.RefcountUnreadable, QcowFindingSeverity.Error,
                        $"Can't get refcount for cluster {i}: its refcount block is not cluster aligned", clusterOffset);
                }
                continue;
            }
            var counted = computedRefcounts[i];
            if (onDisk > 0 || counted > 0) highestCluster = i;
            if (onDisk == counted) continue;

            var fixLeak = onDisk > counted && onDisk != 0 && fix != QcowRepairMode.None;
            var fixCorruption = onDisk < counted && onDisk != 0 && fix == QcowRepairMode.All;
            if (onDisk == 0) rebuild = true;
            if (report)
            {
                var use = DescribeUse(i);
                if (onDisk == 0)
                {
                    if (Want(QcowFindingCodes.RefcountZero)) Add(QcowFindingCodes.RefcountZero, QcowFindingSeverity.Error, $"ERROR cluster {i} refcount=0 reference={counted}{use}", clusterOffset);
                }
                else if (onDisk < counted)
                {
                    var overlap = i < _ownerOf.Length && _secondOwner.TryGetValue(i, out var second)
                        && (IsMetadata((ClusterUse)_ownerOf.Span[(int)i]) || IsMetadata(second));
                    Report(overlap ? QcowFindingCodes.MetadataOverlap : QcowFindingCodes.RefcountTooLow, QcowFindingSeverity.Error,
                        $"ERROR cluster {i} refcount={onDisk} reference={counted}{use}", clusterOffset);
                }
                else
                {
                    if (Want(QcowFindingCodes.Leak)) Add(QcowFindingCodes.Leak, QcowFindingSeverity.Warning, $"Leaked cluster {i} refcount={onDisk} reference={counted}", clusterOffset);
                }
            }
            if ((fixLeak || fixCorruption) && TrySetRefcount(i, counted))
            {
                if (fixLeak) counts.LeaksFixed++;
                else counts.CorruptionsFixed++;
                continue;
            }
            if (onDisk < counted) counts.Corruptions++;
            else counts.Leaks++;
        }
    }

    /// <summary>
    /// <see cref="CheckOflagCopied"/> of a read-only view on its own thread. Disposing waits for it, so that
    /// the file is never read after the check ends, also when the check aborts before joining the results.
    /// </summary>
    private sealed class ConcurrentPass : IDisposable
    {
        private readonly CheckSession _view;
        private readonly CheckCounts _counts = new();
        private readonly Thread _thread;
        private ExceptionDispatchInfo? _failure;

        public ConcurrentPass(CheckSession view)
        {
            _view = view;
            _thread = new Thread(Run) { IsBackground = true, Name = "qcowkit check copied flags" };
            _thread.Start();
        }

        private void Run()
        {
            try
            {
                _view.CheckOflagCopied(_counts);
            }
            catch (Exception ex)
            {
                _failure = ExceptionDispatchInfo.Capture(ex);
            }
        }

        /// <summary>Waits for the pass and adds its counts and findings to <paramref name="session"/>, as if it had run there.</summary>
        public void Join(CheckSession session, CheckCounts counts)
        {
            _thread.Join();
            _failure?.Throw();
            counts.CheckErrors += _counts.CheckErrors;
            counts.Corruptions += _counts.Corruptions;
            // Only this pass reports its finding codes, so its per-code limits carry over unchanged.
            session._findings.AddRange(_view._findings);
            foreach (var (code, n) in _view._findingCounts)
            {
                session._findingCounts[code] = session._findingCounts.GetValueOrDefault(code) + n;
            }
        }

        public void Dispose()
        {
            _thread.Join();
            _view.Dispose();
        }
    }

    /// <summary>check_oflag_copied: COPIED must be set exactly when the refcount is 1.</summary>
    private void CheckOflagCopied(CheckCounts counts)
    {
        var repair = Fix switch
        {
            QcowRepairMode.All => true,
            // After a successful leak repair the refcounts are exact, so the flags can be trusted to follow them.
            QcowRepairMode.Leaks => counts.CheckErrors == 0 && counts.Corruptions == 0 && counts.Leaks == 0,
            _ => false,
        };
        var entrySize = _geometry.L2EntrySize;
        var table = _l2Buffer;
        for (var i = 0; i < _l1Table.Length; i++)
        {
            ThrowIfCanceled();
            var l1Entry = _l1Table[i];
            var l2Offset = l1Entry & QcowMasks.L1OffsetMask;
            if (l2Offset == 0) continue;
            var l1EntryOffset = _geometry.L1TableOffset + (ulong)i * 8;
            if (TryGetRefcount((long)(l2Offset >> _geometry.ClusterBits), out var refcount)
                && (refcount == 1) != ((l1Entry & QcowMasks.Copied) != 0))
            {
                counts.Corruptions++;
                Report(QcowFindingCodes.L1CopiedFlag, QcowFindingSeverity.Error,
                    $"{(repair ? "Repairing" : "ERROR")} OFLAG_COPIED L2 cluster: l1_index={i} l1_entry={l1Entry:x} refcount={refcount}", (long)l1EntryOffset);
                if (repair)
                {
                    _l1Table[i] = refcount == 1 ? l1Entry | QcowMasks.Copied : l1Entry & ~QcowMasks.Copied;
                    var overlap = CheckMetadataOverlap(Overlap.ActiveL1, l1EntryOffset & ~511UL, 512);
                    if (overlap != Overlap.None)
                    {
                        SignalOverlap(counts, overlap, l1EntryOffset);
                        counts.CheckErrors++;
                        throw new CheckAbortedException("Input/output error");
                    }
                    _file.WriteUInt64(l1EntryOffset, _l1Table[i]);
                    counts.Corruptions--;
                    counts.CorruptionsFixed++;
                }
            }

            if (l2Offset >= (ulong)_file.Length) continue;
            _file.Read(l2Offset, table);
            var dirty = 0;
            var l2Size = _geometry.L2Size;
            for (var j = 0; j < l2Size; j++)
            {
                var entry = BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(j * entrySize));
                if (entry == 0)
                {
                    // Max: on extended L2 a zero entry may still have a (meaningless) bitmap; always move on.
                    j = Math.Max(j, NextNonZeroEntry(table, j, l2Size, entrySize) - 1);
                    continue;
                }
                var type = TypeOf(entry);
                if (type is not (ClusterType.Normal or ClusterType.ZeroAlloc)) continue;
                var dataOffset = entry & QcowMasks.L2OffsetMask;
                ulong dataRefcount = 1;
                if (!_geometry.HasDataFile && !TryGetRefcount((long)(dataOffset >> _geometry.ClusterBits), out dataRefcount)) continue;
                if ((dataRefcount == 1) != ((entry & QcowMasks.Copied) != 0))
                {
                    counts.Corruptions++;
                    if (Want(QcowFindingCodes.L2CopiedFlag)) Add(QcowFindingCodes.L2CopiedFlag, QcowFindingSeverity.Error,
                        $"{(repair ? "Repairing" : "ERROR")} OFLAG_COPIED data cluster: l2_entry={entry:x} refcount={dataRefcount}", (long)(l2Offset + (ulong)(j * entrySize)));
                    if (repair)
                    {
                        BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan(j * entrySize),
                            dataRefcount == 1 ? entry | QcowMasks.Copied : entry & ~QcowMasks.Copied);
                        dirty++;
                    }
                }
            }
            if (dirty > 0)
            {
                var overlap = CheckMetadataOverlap(Overlap.ActiveL2, l2Offset, (ulong)_geometry.ClusterSize);
                if (overlap != Overlap.None)
                {
                    SignalOverlap(counts, overlap, l2Offset);
                    counts.CheckErrors++;
                    throw new CheckAbortedException("Input/output error");
                }
                _file.Write(l2Offset, table);
                counts.Corruptions -= dirty;
                counts.CorruptionsFixed += dirty;
            }
        }
    }
}
