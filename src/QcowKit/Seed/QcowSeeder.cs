using QcowKit.Image;
using QcowKit.Image.Files;
using QcowKit.Image.Locking;
using QcowKit.Seed.CloudInit;
using QcowKit.Seed.Fat;

namespace QcowKit.Seed;

/// <summary>
/// Puts content into a disk image: a folder as a FAT file system (optionally partitioned), a cloud-init NoCloud
/// seed, a raw image copied at an offset, or deterministic test data. Writes are sparse: blocks of zeros are
/// never written. Every overload checks the content (names, sizes, fit) and the target (exists, overwrite)
/// before it writes anything and reports problems as <see cref="SeedException"/>.
/// </summary>
/// <remarks>
/// The path overloads create the image (or, with <see cref="SeedTargetOptions.UseExisting"/>, open it); a new
/// image is written all-or-nothing: to a temporary file next to the target (<c>.NAME.qcowkit-incomplete-XXXXXXXX</c>),
/// moved into place only when complete and removed on an error or a cancellation. The target must not be one of the
/// files the content is read from. The
/// <see cref="Stream"/> overloads write into any writable, seekable stream that represents the guest disk; its
/// length is the disk size.
/// </remarks>
public static class QcowSeeder
{
    /// <summary>The refusal of a request with no content or more than one kind of it.</summary>
    public const string ContentChoiceMessage =
        "give exactly one kind of content: a folder (FAT), a cloud-init seed, an image to copy or generated data";

    /// <summary>Runs <paramref name="request"/>: its one kind of content into the image at <paramref name="targetPath"/>.</summary>
    /// <param name="targetPath">The image to create, or with <see cref="SeedTargetOptions.UseExisting"/> to write into.</param>
    /// <param name="request">The content and the target's options.</param>
    /// <param name="cancellationToken">Stops the run; a new image is then removed, as on any failure.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="SeedException">No content or more than one kind (<see cref="ContentChoiceMessage"/>), or content that does not fit.</exception>
    public static SeedResult Seed(string targetPath, QcowSeedRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentCount != 1)
        {
            throw new SeedException($"{ContentChoiceMessage} ({request.ContentCount} given)");
        }
        return request switch
        {
            { Directory: { } directory } => SeedDirectory(targetPath, directory, request.Target, cancellationToken),
            { CloudInit: { } cloudInit } => SeedCloudInit(targetPath, cloudInit, request.Target, cancellationToken),
            { CopyImage: { } copy } => CopyImage(targetPath, copy, request.Target, cancellationToken),
            _ => WriteGeneratedData(targetPath, request.GeneratedData!, request.Target, cancellationToken),
        };
    }

    /// <summary>Writes a folder tree as a FAT file system into the image at <paramref name="targetPath"/>.</summary>
    public static SeedResult SeedDirectory(string targetPath, FatSeedOptions options, SeedTargetOptions? target = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(targetPath, CreateFatPlan(options), target, cancellationToken);
    }

    /// <summary>Writes a folder tree as a FAT file system onto a guest disk stream.</summary>
    /// <param name="guestDisk">Writable, seekable; its length is the disk size.</param>
    /// <param name="options">What to write.</param>
    /// <param name="diskIsZeroed">True when the disk is known to read as zeros (a new image): zero blocks are then not even checked.</param>
    public static SeedResult SeedDirectory(Stream guestDisk, FatSeedOptions options, bool diskIsZeroed = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(guestDisk, CreateFatPlan(options), diskIsZeroed);
    }

    /// <summary>Writes a cloud-init NoCloud seed (a CIDATA FAT volume) into the image at <paramref name="targetPath"/>.</summary>
    public static SeedResult SeedCloudInit(string targetPath, CloudInitSeedOptions options, SeedTargetOptions? target = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(targetPath, NoCloudSeed.CreatePlan(options), target, cancellationToken);
    }

    /// <summary>Writes a cloud-init NoCloud seed onto a guest disk stream.</summary>
    public static SeedResult SeedCloudInit(Stream guestDisk, CloudInitSeedOptions options, bool diskIsZeroed = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(guestDisk, NoCloudSeed.CreatePlan(options), diskIsZeroed);
    }

    /// <summary>Copies a raw image into the image at <paramref name="targetPath"/> at an offset.</summary>
    public static SeedResult CopyImage(string targetPath, ImageCopySeedOptions options, SeedTargetOptions? target = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(targetPath, new ImageCopySeedPlan(options), target, cancellationToken);
    }

    /// <summary>Copies a raw image onto a guest disk stream at an offset.</summary>
    public static SeedResult CopyImage(Stream guestDisk, ImageCopySeedOptions options, bool diskIsZeroed = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(guestDisk, new ImageCopySeedPlan(options), diskIsZeroed);
    }

    /// <summary>Writes deterministic generated data into the image at <paramref name="targetPath"/>.</summary>
    public static SeedResult WriteGeneratedData(string targetPath, GeneratedDataSeedOptions options, SeedTargetOptions? target = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(targetPath, new GeneratedDataSeedPlan(options), target, cancellationToken);
    }

    /// <summary>Writes deterministic generated data onto a guest disk stream.</summary>
    public static SeedResult WriteGeneratedData(Stream guestDisk, GeneratedDataSeedOptions options, bool diskIsZeroed = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(guestDisk, new GeneratedDataSeedPlan(options), diskIsZeroed);
    }

    /// <summary>
    /// The bytes <see cref="WriteGeneratedData(string, GeneratedDataSeedOptions, SeedTargetOptions?, CancellationToken)"/> writes at
    /// <paramref name="position"/> (relative to the start of the data), so a test can verify any range.
    /// </summary>
    public static void FillGeneratedData(GeneratedDataSeedOptions options, long position, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(options);
        DeterministicData.Fill(options.Seed, options.ZeroBlockPercent, position, destination);
    }

    private static FatSeedPlan CreateFatPlan(FatSeedOptions options)
    {
        var label = options.Label is null ? null : FatVolume.NormalizeLabel(options.Label);
        var fixedTime = SeedTimestamp.Resolve(options.Timestamp, options.Reproducible);
        var root = FatTreeBuilder.FromDirectory(options.SourceDirectory, fixedTime);
        var seed = options.Reproducible ? options.ReproducibleSeed ?? label ?? string.Empty : null;
        var volume = new FatVolume(root, options.FileSystem, label, FatVolume.MakeSerial(seed), fixedTime ?? DateTime.UtcNow);
        return new FatSeedPlan(volume, options.PartitionTable, seed);
    }

    private static SeedResult Run(Stream guestDisk, SeedPlan plan, bool diskIsZeroed)
    {
        ArgumentNullException.ThrowIfNull(guestDisk);
        if (!guestDisk.CanWrite || !guestDisk.CanSeek || !guestDisk.CanRead)
        {
            throw new ArgumentException("The guest disk stream must be readable, writable and seekable.", nameof(guestDisk));
        }
        var size = guestDisk.Length;
        plan.Validate(size);
        return plan.Write(guestDisk, size, diskIsZeroed);
    }

    private static SeedResult Run(string targetPath, SeedPlan plan, SeedTargetOptions? target, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        target ??= new SeedTargetOptions();
        if (Directory.Exists(targetPath)) throw new SeedException($"Target '{targetPath}' is a folder.");
        var exists = File.Exists(targetPath);
        return target.UseExisting ? RunExisting(targetPath, plan, target, exists, cancellationToken) : RunNew(targetPath, plan, target, exists, cancellationToken);
    }

    private static SeedResult RunExisting(string targetPath, SeedPlan plan, SeedTargetOptions target, bool exists, CancellationToken cancellationToken)
    {
        if (!exists) throw new SeedException($"Target '{targetPath}' does not exist; UseExisting writes into an existing image.");
        OutputGuard.EnsureNotAnInput(targetPath, $"'{targetPath}'", plan.Inputs());
        if (target.Size is not null) throw new SeedException("Size cannot be set with UseExisting: the existing image keeps its size.");
        var probed = VirtualDisk.Probe(targetPath) == "qcow2" ? QcowImageFormat.Qcow2 : QcowImageFormat.Raw;
        if (target.Format is { } wanted && wanted != probed)
        {
            throw new SeedException($"Target '{targetPath}' is a {QemuNames.Name(probed)} image, not {QemuNames.Name(wanted)}.");
        }
        if (probed == QcowImageFormat.Qcow2)
        {
            using var image = QcowImage.Open(targetPath, new QcowOpenOptions { Access = FileAccess.ReadWrite });
            using var stream = new CancellableStream(image.OpenStream(), cancellationToken);
            plan.Validate(image.VirtualSize);
            var result = plan.Write(stream, image.VirtualSize, diskIsZeroed: false);
            image.Flush();
            return result;
        }
        using var raw = new CancellableStream(new FileStream(LockedFile.Open(Path.GetFullPath(targetPath), targetPath, FileAccess.ReadWrite, ImageLockMode.WriteShared), FileAccess.ReadWrite), cancellationToken);
        var rawSize = raw.Length;
        plan.Validate(rawSize);
        return plan.Write(raw, rawSize, diskIsZeroed: false);
    }

    private static SeedResult RunNew(string targetPath, SeedPlan plan, SeedTargetOptions target, bool exists, CancellationToken cancellationToken)
    {
        if (exists && !target.Overwrite)
        {
            throw new SeedException($"Target '{targetPath}' already exists; ask for overwrite to replace it.");
        }
        var format = target.Format
            ?? (targetPath.EndsWith(".qcow2", StringComparison.OrdinalIgnoreCase) ? QcowImageFormat.Qcow2 : QcowImageFormat.Raw);
        var size = target.Size ?? plan.MinimumDiskSize();
        if (size <= 0 || size % 512 != 0) throw new SeedException($"Disk size {size} must be a positive multiple of 512 bytes.");
        plan.Validate(size);
        QcowCreateOptions? createOptions = null;
        if (format == QcowImageFormat.Qcow2)
        {
            try
            {
                createOptions = QcowCreateOptions.Parse(target.Qcow2Options);
                createOptions.Size = size;
                createOptions.Validate();
            }
            catch (QcowOptionsException ex)
            {
                throw new SeedException($"Target '{targetPath}': {ex.Message}", ex);
            }
        }

        var inputs = plan.Inputs().Concat(InputFile.OfBackingChain(targetPath, createOptions?.BackingFile, createOptions?.BackingFormat)).ToList();
        using var files = NewImageFiles.Begin(targetPath, createOptions?.DataFile, inputs);
        try
        {
            SeedResult result;
            if (createOptions is not null)
            {
                // Nobody sees the temporary image before the rename: it is written without ordering fsyncs (one
                // per allocating write otherwise) and made stable once, before it takes the target's name.
                using (var image = QcowImage.CreateAndOpen(files, createOptions, flushToDisk: false, cancellationToken))
                using (var stream = new CancellableStream(image.OpenStream(), cancellationToken))
                {
                    // With a backing file the new image reads as its backing file, not as zeros.
                    result = plan.Write(stream, size, diskIsZeroed: createOptions.BackingFile is null);
                }
                using var written = File.OpenHandle(files.ImagePath, FileMode.Open, FileAccess.ReadWrite);
                RandomAccess.FlushToDisk(written);
                if (files.DataFilePath is not null)
                {
                    using var data = File.OpenHandle(files.DataFilePath, FileMode.Open, FileAccess.ReadWrite);
                    RandomAccess.FlushToDisk(data);
                }
            }
            else
            {
                using var file = new FileStream(files.ImagePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                // SetLength on a new file leaves a hole: the raw image is sparse from the start.
                file.SetLength(size);
                using (var stream = new CancellableStream(file, cancellationToken, leaveOpen: true))
                {
                    result = plan.Write(stream, size, diskIsZeroed: true);
                }
                file.Flush(flushToDisk: true);
            }
            files.Commit(flushToDisk: true);
            return result;
        }
        catch (IOException ex) when (files.NameDestination(ex) is var named && !ReferenceEquals(named, ex))
        {
            throw named;
        }
    }
}
