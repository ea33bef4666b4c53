namespace QcowKit.Compression;

/// <summary>
/// One native deflate implementation that can produce raw deflate streams with a 4 KiB window.
/// .NET's DeflateStream cannot: it always uses a 32 KiB window, and qemu inflates with windowBits -12.
/// </summary>
internal abstract class RawDeflate
{
    /// <summary>qemu's qcow2_compress: Z_DEFAULT_COMPRESSION (level 6), raw deflate, 4 KiB window, memLevel 9.</summary>
    public const int QemuLevel = 6;

    /// <summary>Negative: no zlib header or trailer. 12: the 4 KiB window qemu inflates with.</summary>
    public const int QemuWindowBits = -12;

    /// <summary>zlib's largest memLevel, which qemu uses.</summary>
    public const int QemuMemLevel = 9;

    private static readonly Lazy<RawDeflate?> Selected = new(() => (RawDeflate?)RuntimeNativeDeflate.TryLoad() ?? SystemZlibDeflate.TryLoad());

    /// <summary>
    /// The implementation in use: the runtime's own System.IO.Compression.Native when it exports
    /// the deflate entry points, otherwise the system's libz.so.1; null when neither is present.
    /// </summary>
    public static RawDeflate? Default => Selected.Value;

    /// <summary>Names the library, for diagnostics and tests.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Deflates <paramref name="source"/> as one complete stream into <paramref name="destination"/>.
    /// Returns the stream's length, or -1 when it does not fit in <paramref name="destination"/>.
    /// All state lives in this call, so one instance serves any number of threads.
    /// </summary>
    public abstract int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level, int windowBits, int memLevel);

    /// <summary>Deflates with qemu's settings.</summary>
    public int CompressLikeQemu(ReadOnlySpan<byte> source, Span<byte> destination) =>
        Compress(source, destination, QemuLevel, QemuWindowBits, QemuMemLevel);

    /// <summary>zlib return codes shared by both libraries.</summary>
    protected const int ZOk = 0;

    /// <summary>Returned by deflate once the whole stream has been written.</summary>
    protected const int ZStreamEnd = 1;

    /// <summary>Z_FINISH: compress everything and end the stream.</summary>
    protected const int ZFinish = 4;

    /// <summary>Z_DEFLATED, the only method.</summary>
    protected const int ZDeflated = 8;

    /// <summary>Z_DEFAULT_STRATEGY.</summary>
    protected const int ZDefaultStrategy = 0;

    /// <summary>
    /// The compressed length after a one-shot deflate with Z_FINISH, or -1 when the output space ran
    /// out before the stream ended (Z_OK or Z_BUF_ERROR): the caller then stores the cluster as it is.
    /// </summary>
    protected static int FinishedLength(int status, uint availableOut, int destinationLength, string library, string call) => status switch
    {
        ZStreamEnd => destinationLength - (int)availableOut,
        ZOk or ZBufError => -1,
        _ => throw Failure(library, call, status),
    };

    /// <summary>Z_BUF_ERROR: no progress possible (here: the output buffer is full).</summary>
    protected const int ZBufError = -5;

    /// <summary>Throws for a zlib status that is neither success nor "output full".</summary>
    protected static InvalidOperationException Failure(string library, string call, int status) =>
        new($"{library}: {call} failed with zlib status {status}");
}
