namespace QcowKit.Cli.Images;

/// <summary>
/// The state of a run of guest bytes as qemu-img map reports it (qemu-img.c get_block_status): the
/// first layer of the backing chain, from the top, that has data or zeroes there.
/// </summary>
/// <param name="Length">Bytes in the run, at least 1.</param>
/// <param name="Present">Allocated in some layer (BDRV_BLOCK_ALLOCATED): false means it reads as zeroes because no layer has it.</param>
/// <param name="Zero">Reads as zeroes (BDRV_BLOCK_ZERO).</param>
/// <param name="Data">Has data in a file (BDRV_BLOCK_DATA).</param>
/// <param name="Offset">Where the run's bytes lie in <paramref name="File"/>, when they lie plainly (not compressed).</param>
/// <param name="Depth">Layer that answered: 0 the image itself, 1 its backing file, ...</param>
/// <param name="File">The file that holds the bytes at <paramref name="Offset"/>, when known.</param>
internal readonly record struct BlockStatus(long Length, bool Present, bool Zero, bool Data, long? Offset, int Depth, string? File)
{
    /// <summary>The run reads as zeroes without reading it.</summary>
    public bool ReadsAsZero => Zero || !Data;
}
