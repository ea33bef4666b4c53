using QcowKit.Create;
using QcowKit.Format;
using QcowKit.Image;

namespace QcowKit.Fixtures.Layout;

/// <summary>
/// Builds a fixture's base image with the engine's write path: <see cref="QcowImage.Create(string, QcowCreateOptions)"/> with the
/// fixture's create options, then the guest plan as writes (data), write-zeroes (zero units) and
/// compressed writes (the chosen clusters), then the internal snapshots with
/// <see cref="QcowImage.CreateSnapshot"/>. Holes are never written. Runs in a private scratch folder
/// so that the header can name the backing and data files relative to the image.
/// </summary>
internal static class WriterBase
{
    /// <summary>
    /// Whether the write engine can make this base. It does not create bitmaps, and it refuses compressed
    /// writes that would share a host cluster under 1-bit refcounts.
    /// </summary>
    internal static bool Supports(QcowFixtureOptions o) =>
        o.Bitmaps == 0 && !(o.RefcountBits == 1 && o.CompressedFraction > 0);

    /// <summary>
    /// The options <see cref="ImageComposer"/> lays out when the engine cannot make the base: no snapshots
    /// (<see cref="AddSnapshots"/> adds them) and, when there are snapshots to add, no header bits that keep
    /// the engine from opening the image for writing (they are set afterwards).
    /// </summary>
    internal static QcowFixtureOptions ComposerOptions(QcowFixtureOptions o) => o.Snapshots == 0 ? o
        : o with { Snapshots = 0, Dirty = false, CorruptBit = false, ExtraIncompatibleBits = 0, ExtraCompatibleBits = 0, ExtraAutoclearBits = 0 };

    /// <summary>Adds the fixture's internal snapshots to a composed image with the engine, then sets the header bits it left out.</summary>
    internal static ComposedImage AddSnapshots(QcowFixtureOptions o, ComposedImage composed)
    {
        if (o.Snapshots == 0)
        {
            return composed;
        }
        var scratch = Path.Combine(ScratchRoot, $"qcowkit-fixture-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var imagePath = Path.Combine(scratch, "image.qcow2");
            File.WriteAllBytes(imagePath, composed.Image);
            using (var image = QcowImage.Open(imagePath, new QcowOpenOptions { Access = FileAccess.ReadWrite, ExternalFiles = ExternalFilePolicy.Never, PortableZstd = true }))
            {
                CreateSnapshots(o, image);
            }
            var bytes = File.ReadAllBytes(imagePath);
            ApplyHeaderBits(o, bytes);
            return composed with { Image = bytes };
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Snapshots snap1..snapN an hour apart from the content's reference date, as <c>qemu-img snapshot -c</c> would make them.</summary>
    private static void CreateSnapshots(QcowFixtureOptions o, QcowImage image)
    {
        for (var i = 0; i < o.Snapshots; i++)
        {
            image.CreateSnapshot($"snap{i + 1}", Content.ContentGenerator.ReferenceDate.AddHours(i));
        }
    }

    /// <summary>
    /// Where the scratch image lives: /dev/shm when it exists, because the write engine flushes to stable
    /// storage (create, close) and on tmpfs that costs nothing; the bytes are the same anywhere.
    /// </summary>
    private static string ScratchRoot => OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    internal static ComposedImage Build(QcowFixtureOptions o, GuestPlan plan, CompanionNames names, byte[]? backingBytes)
    {
        var scratch = Path.Combine(ScratchRoot, $"qcowkit-fixture-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            const string ImageName = "image.qcow2";
            var imagePath = Path.Combine(scratch, ImageName);
            if (backingBytes is not null)
            {
                File.WriteAllBytes(Path.Combine(scratch, names.BackingFile!), backingBytes);
            }
            // qemu (and the engine) resolve a relative data file name against the current directory: create
            // and open with the scratch path, then store the name the fixture asks for (relative or full) in the header.
            var dataPath = names.DataFile is null ? null : Path.Combine(scratch, Path.GetFileName(names.DataFile));
            var create = new QcowCreateOptions
            {
                Size = o.VirtualSize,
                Compat = o.Version == 2 ? QcowCompat.V2 : QcowCompat.V3,
                ClusterSize = o.ClusterSize,
                RefcountBits = o.RefcountBits,
                ExtendedL2 = o.ExtendedL2,
                LazyRefcounts = o.LazyRefcounts,
                CompressionType = o.CompressionType,
                BackingFile = names.BackingFile,
                BackingFormat = names.BackingFormat,
                DataFile = dataPath,
                DataFileRaw = o.DataFile == FixtureDataFile.ExternalRaw,
            };
            QcowImage.Create(imagePath, create).Dispose();
            using (var image = QcowImage.Open(imagePath, new QcowOpenOptions { Access = FileAccess.ReadWrite, DataFile = dataPath, PortableZstd = true }))
            {
                WritePlan(o, plan, image);
                CreateSnapshots(o, image);
            }
            var bytes = File.ReadAllBytes(imagePath);
            byte[]? dataFile = null;
            if (dataPath is not null)
            {
                dataFile = File.ReadAllBytes(dataPath);
                var header = QcowHeader.Parse(bytes.AsSpan(0, o.ClusterSize), bytes.Length);
                header.ExternalDataFile = names.DataFile;
                // A full path (QcowFixtures.Get) can be longer than the scratch name: drop the feature table as qemu does, or refuse.
                ImageComposer.WriteHeader(header, bytes.AsSpan(0, o.ClusterSize), o);
            }
            ApplyHeaderBits(o, bytes);
            return new ComposedImage(bytes, dataFile);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static void WritePlan(QcowFixtureOptions o, GuestPlan plan, QcowImage image)
    {
        var cs = o.ClusterSize;
        var compressed = new HashSet<int>(plan.CompressedClusters(o));
        var perCluster = cs / plan.GranuleSize;
        for (var c = 0; c < plan.Content.Length / cs; c++)
        {
            var start = (long)c * cs;
            if (start >= o.VirtualSize)
            {
                break;
            }
            if (compressed.Contains(c))
            {
                image.WriteCompressed(start, plan.Content.AsSpan((int)start, (int)Math.Min(cs, o.VirtualSize - start)));
                continue;
            }
            var s = 0;
            while (s < perCluster)
            {
                var state = plan.Granules[(c * perCluster) + s];
                var run = 1;
                while (s + run < perCluster && plan.Granules[(c * perCluster) + s + run] == state)
                {
                    run++;
                }
                var offset = start + ((long)s * plan.GranuleSize);
                var length = (int)Math.Min((long)run * plan.GranuleSize, o.VirtualSize - offset);
                if (length > 0 && state == GranuleState.Data)
                {
                    image.Write(offset, plan.Content.AsSpan((int)offset, length));
                }
                else if (length > 0 && state == GranuleState.Zero)
                {
                    image.WriteZeroes(offset, length);
                }
                s += run;
            }
        }
    }

    /// <summary>Feature bits the create options cannot express (dirty, corrupt, raw unknown bits) are set in the finished header.</summary>
    private static void ApplyHeaderBits(QcowFixtureOptions o, byte[] bytes)
    {
        if (o.Version != 3)
        {
            return;
        }
        var incompatible = (o.Dirty ? (ulong)IncompatibleFeatures.Dirty : 0) | (o.CorruptBit ? (ulong)IncompatibleFeatures.Corrupt : 0) | o.ExtraIncompatibleBits;
        Or(bytes, HeaderFieldOffsets.IncompatibleFeatures, incompatible);
        Or(bytes, HeaderFieldOffsets.CompatibleFeatures, o.ExtraCompatibleBits);
        Or(bytes, HeaderFieldOffsets.AutoclearFeatures, o.ExtraAutoclearBits);
    }

    private static void Or(byte[] bytes, int offset, ulong bits)
    {
        var span = bytes.AsSpan(offset, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(span, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(span) | bits);
    }
}
