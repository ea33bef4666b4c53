using QcowKit.Image;
using QcowKit.Image.Locking;
using QcowKit.Image.Writing;

namespace QcowKit.Bitmaps;

/// <summary>
/// <c>qemu-img bitmap</c>: adds, removes, clears, enables, disables and merges persistent dirty bitmaps of a qcow2
/// image, with qemu-img 7.2's checks, order and messages. The operations run in order on the bitmaps in memory and the
/// image is written once at the end, also when an operation is refused (qemu-img keeps what the earlier ones did); the
/// write never leaves an image that qemu would refuse, whenever it stops.
/// </summary>
public static class QcowBitmaps
{
    /// <summary>qemu-img's refusal of a request without operations.</summary>
    public const string NoOperationMessage = "Need at least one of --add, --remove, --clear, --enable, --disable, or --merge";

    /// <summary>qemu-img's refusal of <c>-g</c> without <c>--add</c>.</summary>
    public const string GranularityWithoutAddMessage = "granularity only supported with --add";

    /// <summary>qemu-img's refusal of <c>-F</c> without <c>-b</c>.</summary>
    public const string SourceFormatWithoutSourceMessage = "-F only supported with -b";

    /// <summary>qemu-img's refusal of <c>-b</c> without <c>--merge</c>.</summary>
    public const string SourceWithoutMergeMessage = "Merge bitmap source file only supported with --merge";

    /// <summary>qemu-img's refusal of a command line without exactly an image and a bitmap name (after <see cref="Validate"/>'s checks).</summary>
    public const string ExpectingImageAndBitmapMessage = "Expecting filename and bitmap name";

    /// <summary>qemu-img's refusal of a <c>-g</c> value it cannot parse (two lines, as qemu-img prints it).</summary>
    public const string InvalidGranularityMessage = "Invalid granularity specified. You may use k, M, G, T, P or E suffixes for";

    /// <summary>The second line of <see cref="InvalidGranularityMessage"/>.</summary>
    public const string InvalidGranularitySecondLine = "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.";

    /// <summary>Parses <c>-g</c> as qemu-img's cvtnum does (a size with an optional suffix, at most 2^63 - 1).</summary>
    /// <param name="text">The option's value.</param>
    /// <returns>The granularity in bytes (0 asks for the default).</returns>
    /// <exception cref="QcowOptionsException">qemu-img's refusal, with its second line (<see cref="ErrorLines"/>).</exception>
    public static long ParseGranularity(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!QemuSize.TryParse(text, out var value, out var outOfRange) && !outOfRange)
        {
            throw new QcowOptionsException(InvalidGranularityMessage).WithSecondLine(InvalidGranularitySecondLine);
        }
        if (outOfRange || value > long.MaxValue)
        {
            throw new QcowOptionsException($"Invalid granularity specified. Must be between 0 and {long.MaxValue}.");
        }
        return (long)value;
    }

    /// <summary>Applies <paramref name="request"/> to the image at <paramref name="path"/> (opened for writing, with qemu's locks).</summary>
    /// <param name="path">The image.</param>
    /// <param name="request">The bitmap, its operations and options.</param>
    /// <param name="cancellationToken">Observed before the image changes.</param>
    /// <exception cref="QcowOptionsException">qemu-img's refusals, worded as qemu-img words them (an operation's as
    /// <c>Operation OP on bitmap NAME failed: REASON</c>); operations before the refused one are kept.</exception>
    /// <exception cref="QcowException">The image or the source cannot be opened or written, or another process holds it.</exception>
    public static void Apply(string path, QcowBitmapRequest request, CancellationToken cancellationToken = default) =>
        Apply(path, request, null, cancellationToken);

    /// <summary>As the public overload, with every host write and flush reported to <paramref name="observer"/> (crash tests replay them).</summary>
    internal static void Apply(string path, QcowBitmapRequest request, IHostWriteObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        var format = request.Format ?? ProbedFormat(path);
        if (format == QcowImageFormat.Raw)
        {
            // A raw file holds no bitmaps; qemu-img still opens it for writing (and locks it) first.
            var handle = LockedFile.Open(Path.GetFullPath(path), path, FileAccess.ReadWrite, ImageLockMode.Write);
            try
            {
                using var rawSource = OpenSource(request, null, out var rawSourceSet);
                Run(BitmapSet.None(path), request, rawSourceSet, cancellationToken);
            }
            finally
            {
                LockedFile.Close(handle);
            }
            return;
        }
        using var image = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite, ExternalFiles = ExternalFilePolicy.Never, WriteObserver = observer });
        var bitmaps = BitmapSet.Of(image, path);
        using var source = OpenSource(request, bitmaps, out var sourceSet);
        try
        {
            Run(bitmaps, request, sourceSet, cancellationToken);
        }
        finally
        {
            if (bitmaps.Changed)
            {
                image.ReplaceBitmaps(bitmaps.ToReplacements());
            }
        }
    }

    /// <summary>
    /// The checks qemu-img makes of its options before it looks at the image, in its order (<see cref="Apply(string, QcowBitmapRequest, System.Threading.CancellationToken)"/>
    /// makes them too): at least one operation, <c>-g</c> only with an add, <c>-F</c> only with <c>-b</c>, <c>-b</c> only with a merge.
    /// A surface that takes the image and the bitmap as free arguments calls this before it refuses a wrong count of them
    /// with <see cref="ExpectingImageAndBitmapMessage"/>.
    /// </summary>
    /// <param name="request">The request (its <see cref="QcowBitmapRequest.BitmapName"/> is not looked at).</param>
    /// <exception cref="QcowOptionsException">qemu-img's refusal.</exception>
    public static void Validate(QcowBitmapRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.BitmapName);
        ArgumentNullException.ThrowIfNull(request.Operations);
        if (request.Operations.Count == 0)
        {
            throw new QcowOptionsException(NoOperationMessage);
        }
        if (request.Granularity is not (null or 0) && request.Operations.All(o => o.Action != QcowBitmapAction.Add))
        {
            throw new QcowOptionsException(GranularityWithoutAddMessage);
        }
        if (request.SourceFormat is not null && request.SourceFile is null)
        {
            throw new QcowOptionsException(SourceFormatWithoutSourceMessage);
        }
        if (request.SourceFile is not null && request.Operations.All(o => o.Action != QcowBitmapAction.Merge))
        {
            throw new QcowOptionsException(SourceWithoutMergeMessage);
        }
    }

    private static void Run(BitmapSet bitmaps, QcowBitmapRequest request, BitmapSet source, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // qemu-img adds a disabled bitmap when --disable appears anywhere in the command.
        var addDisabled = request.Operations.Any(o => o.Action == QcowBitmapAction.Disable);
        foreach (var operation in request.Operations)
        {
            bitmaps.Apply(operation, request.BitmapName, request.Granularity, addDisabled, source);
        }
    }

    /// <summary>The image merges read from: <c>-b</c>'s file (opened read-only, without its backing chain), or the image itself.</summary>
    private static QcowImage? OpenSource(QcowBitmapRequest request, BitmapSet? self, out BitmapSet source)
    {
        if (request.SourceFile is not { } file)
        {
            source = self ?? BitmapSet.None(string.Empty);
            return null;
        }
        var format = request.SourceFormat ?? ProbedFormat(file);
        if (format == QcowImageFormat.Raw)
        {
            source = BitmapSet.None(file);
            return null;
        }
        var image = QcowImage.Open(file, new QcowOpenOptions { ExternalFiles = ExternalFilePolicy.Never });
        source = BitmapSet.Of(image, file);
        return image;
    }

    private static QcowImageFormat ProbedFormat(string path)
    {
        var probed = VirtualDisk.Probe(path);
        return QemuNames.TryParseImageFormat(probed, out var format)
            ? format
            : throw new QcowFormatException($"Could not open '{path}': QcowKit edits bitmaps of qcow2 images, not '{probed}'");
    }
}
