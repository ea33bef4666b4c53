using System.Buffers.Binary;
using QcowKit.Compression;
using QcowKit.Format;

namespace QcowKit.Check;

/// <summary>
/// Checks qemu-img check does not make: every compressed cluster is inflated (a stream that is
/// invalid or ends before a whole cluster is a finding), a zero flag in a version 2 image (the bit
/// does not exist there, qemu still honours it), compressed clusters beyond the end of the file.
/// Read-only; bounded by the file (tables beyond its end read as zeros and are skipped).
/// </summary>
internal static class DeepCheck
{
    public static void Run(CheckedFile file, QcowHeader header, CheckGeometry geometry, List<QcowFinding> findings)
    {
        using var decompressor = new ClusterDecompressor(header.CompressionType);
        var seen = new HashSet<ulong>();
        var l2 = new byte[geometry.ClusterSize];
        foreach (var l1Offset in L1Tables(file, geometry))
        {
            var (offset, size) = l1Offset;
            for (ulong i = 0; i < size; i++)
            {
                var entryOffset = offset + i * 8;
                if (entryOffset + 8 > (ulong)file.Length) break;
                var l2Offset = file.ReadUInt64(entryOffset) & QcowMasks.L1OffsetMask;
                if (l2Offset == 0 || (l2Offset & (ulong)(geometry.ClusterSize - 1)) != 0 || l2Offset >= (ulong)file.Length || !seen.Add(l2Offset)) continue;
                file.Read(l2Offset, l2);
                CheckL2(file, decompressor, geometry, l2, l2Offset, findings);
            }
        }
    }

    private static IEnumerable<(ulong Offset, ulong Size)> L1Tables(CheckedFile file, CheckGeometry geometry)
    {
        yield return (geometry.L1TableOffset, geometry.L1Size);
        if (geometry.NbSnapshots > QcowMasks.MaxSnapshots || geometry.SnapshotsOffset >= (ulong)file.Length) yield break;
        var offset = geometry.SnapshotsOffset;
        var entry = new byte[QcowMasks.SnapshotHeaderSize];
        for (var i = 0; i < geometry.NbSnapshots && offset < (ulong)file.Length; i++)
        {
            offset = (offset + 7) & ~7UL;
            file.Read(offset, entry);
            var l1Offset = BinaryPrimitives.ReadUInt64BigEndian(entry);
            var l1Size = BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(8));
            var idSize = BinaryPrimitives.ReadUInt16BigEndian(entry.AsSpan(12));
            var nameSize = BinaryPrimitives.ReadUInt16BigEndian(entry.AsSpan(14));
            var extra = BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(36));
            if ((l1Offset & (ulong)(geometry.ClusterSize - 1)) == 0 && l1Size <= QcowMasks.MaxL1SizeBytes / 8)
            {
                yield return (l1Offset, l1Size);
            }
            offset += (ulong)QcowMasks.SnapshotHeaderSize + extra + idSize + nameSize;
        }
    }

    private static void CheckL2(CheckedFile file, ClusterDecompressor decompressor, CheckGeometry geometry, byte[] l2, ulong l2Offset, List<QcowFinding> findings)
    {
        for (var j = 0; j < geometry.L2Size; j++)
        {
            var entry = BinaryPrimitives.ReadUInt64BigEndian(l2.AsSpan(j * geometry.L2EntrySize));
            var entryOffset = (long)(l2Offset + (ulong)(j * geometry.L2EntrySize));
            if ((entry & QcowMasks.Compressed) != 0)
            {
                var coffset = entry & geometry.CompressedOffsetMask;
                var sectors = ((entry >> geometry.CompressedSizeShift) & geometry.CompressedSizeMask) + 1;
                var csize = sectors * 512 - (coffset & 511);
                // qemu's own last compressed cluster may claim sectors past the end of the file (they read as zeros); only a stream that starts there is lost.
                if (coffset >= (ulong)file.Length)
                {
                    findings.Add(new QcowFinding(QcowFindingCodes.CompressedBeyondEndOfFile, QcowFindingSeverity.Error,
                        $"compressed cluster at 0x{coffset:x} starts beyond the end of the file ({file.Length} bytes)", entryOffset));
                    continue;
                }
                CheckCompressed(file, decompressor, geometry, coffset, (int)csize, entryOffset, findings);
            }
            else if (geometry.Version == 2 && (entry & QcowMasks.Zero) != 0)
            {
                findings.Add(new QcowFinding(QcowFindingCodes.ZeroFlagInVersion2, QcowFindingSeverity.Error,
                    $"L2 entry 0x{entry:x} has the zero flag, which does not exist in compat 0.10 (version 2) images; qemu reads the cluster as zeros, older readers as data", entryOffset));
            }
        }
    }

    /// <summary>Inflates one compressed cluster as qemu reads it; a stream that fails or ends short of a whole cluster is a finding.</summary>
    private static void CheckCompressed(CheckedFile file, ClusterDecompressor decompressor, CheckGeometry geometry, ulong offset, int size, long entryOffset, List<QcowFinding> findings)
    {
        var source = new byte[size];
        file.Read(offset, source);
        var cluster = new byte[geometry.ClusterSize];
        var error = decompressor.Decompress(source, cluster);
        if (error is null) return;
        var code = error.Contains("ends after", StringComparison.Ordinal) ? QcowFindingCodes.CompressedStreamShort : QcowFindingCodes.CompressedStreamInvalid;
        findings.Add(new QcowFinding(code, QcowFindingSeverity.Error,
            $"compressed cluster at 0x{offset:x} ({size} bytes, {decompressor.Type}): {error}", entryOffset));
    }
}
