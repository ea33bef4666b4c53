namespace QcowKit.Check;

/// <summary>qemu's BdrvCheckResult plus BlockFragInfo: the counters one check pass accumulates.</summary>
internal sealed class CheckCounts
{
    public long CheckErrors;
    public long Corruptions;
    public long Leaks;
    public long CorruptionsFixed;
    public long LeaksFixed;
    public long ImageEndOffset;
    public long TotalClusters;
    public long AllocatedClusters;
    public long FragmentedClusters;
    public long CompressedClusters;

    public CheckCounts Clone() => (CheckCounts)MemberwiseClone();

    public void CopyFrom(CheckCounts other)
    {
        CheckErrors = other.CheckErrors;
        Corruptions = other.Corruptions;
        Leaks = other.Leaks;
        CorruptionsFixed = other.CorruptionsFixed;
        LeaksFixed = other.LeaksFixed;
        ImageEndOffset = other.ImageEndOffset;
        TotalClusters = other.TotalClusters;
        AllocatedClusters = other.AllocatedClusters;
        FragmentedClusters = other.FragmentedClusters;
        CompressedClusters = other.CompressedClusters;
    }

    /// <summary>qcow2_add_check_result: sums the error counters; takes the allocation info only when asked.</summary>
    public void Add(CheckCounts other, bool setAllocationInfo)
    {
        Corruptions += other.Corruptions;
        Leaks += other.Leaks;
        CheckErrors += other.CheckErrors;
        CorruptionsFixed += other.CorruptionsFixed;
        LeaksFixed += other.LeaksFixed;
        if (setAllocationInfo)
        {
            ImageEndOffset = other.ImageEndOffset;
            TotalClusters = other.TotalClusters;
            AllocatedClusters = other.AllocatedClusters;
            FragmentedClusters = other.FragmentedClusters;
            CompressedClusters = other.CompressedClusters;
        }
    }
}

/// <summary>The check cannot go on (qemu returns -errno and qemu-img prints "Check failed"): exit code 1.</summary>
internal sealed class CheckAbortedException : Exception
{
    public CheckAbortedException(string message) : base(message)
    {
    }

    public CheckAbortedException()
    {
    }

    public CheckAbortedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>What a cluster is used as; names the structures when two share a cluster.</summary>
internal enum ClusterUse : byte
{
    None = 0,
    Header,
    ActiveL1,
    ActiveL2,
    Data,
    Compressed,
    SnapshotTable,
    SnapshotL1,
    SnapshotL2,
    SnapshotData,
    RefcountTable,
    RefcountBlock,
    CryptoHeader,
    BitmapDirectory,
    BitmapTable,
    BitmapData,
}
